"""python -m a0ipc.agent_zero install|uninstall|status AGENT_ZERO_DIR (a0ipc agent-zero ...)."""
import sys

from a0ipc.agent_zero.install import main

sys.exit(main())
