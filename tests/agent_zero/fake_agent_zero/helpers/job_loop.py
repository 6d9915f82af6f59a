"""Stand-in of Agent Zero's helpers/job_loop.py: the loop's state and pause_loop (which must not
run in the framework process: it would pause the framework's own job loop)."""
keep_running = True
pause_time = 0


def pause_loop():
    raise AssertionError("ran in the framework process")
