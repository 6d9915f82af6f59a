"""The code-execution and input tools on a0ipcd. (Owned by the terminal work: this file states
the contract the plugin's get_tool extension relies on.)

``take_over_get_tool(data)``: called at the start of Agent Zero's ``Agent.get_tool`` (an
``@extensible`` method) with its ``data`` dict (``args``, ``kwargs``, ``result``); for the tool
names ``code_execution_tool`` and ``input`` it sets ``data["result"]`` to an instance of this
module's tool class, constructed with the arguments Agent.get_tool got; any other tool is left
to Agent Zero.
"""


def take_over_get_tool(data):
    return None
