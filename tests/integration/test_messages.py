"""The messages a user meets on the common paths, word for word (issue 19's audit against runc's
and crun's; docs/design.md "Messages"). Each names the container, file, field or flag, says why,
and keeps the words clients match (CONTRACT.md): "does not exist", "container not running",
"container not paused". Malformed configs are test_bad_input.py's; this is the lifecycle's."""
import time

import pytest

from husk_support import assert_nothing_left

COMMANDS_ON_AN_ID = ["state", "start", "kill", "delete", "pause", "resume", "ps", "update",
                     "events", "exec"]


def stopped(bundle, cid="c"):
    for _ in range(200):
        if bundle.state(cid)["status"] == "stopped":
            return
        time.sleep(0.02)
    raise AssertionError("the container did not stop")


def says(r, message, rc=1):
    assert (r.rc, r.err.splitlines()) == (rc, [f"husk: {message}"])


@pytest.mark.parametrize("command", COMMANDS_ON_AN_ID)
def test_a_missing_container_is_named_and_does_not_exist(bundle, command):
    args = [command, "ghost"] + (["true"] if command == "exec" else [])
    says(bundle.husk(*args), 'container "ghost" does not exist',
         rc=255 if command == "exec" else 1)


def test_each_command_on_a_container_in_the_wrong_state_names_its_state(bundle):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    says(bundle.husk("pause", "c"), 'container "c" is created: container not running')
    says(bundle.husk("resume", "c"), 'container "c" is created: container not paused')
    assert bundle.husk("start", "c").rc == 0
    says(bundle.husk("start", "c"), 'cannot start container "c": it is running, not created')
    says(bundle.husk("resume", "c"), 'container "c" is running: container not paused')
    says(bundle.husk("delete", "c"), 'cannot delete container "c" that is running: use --force')
    assert bundle.husk("pause", "c").rc == 0
    says(bundle.husk("pause", "c"), 'container "c" is paused: container already paused')
    assert bundle.husk("resume", "c").rc == 0
    assert bundle.husk("kill", "c", "KILL").rc == 0
    stopped(bundle)
    not_running = 'container "c" is stopped: container not running'
    for command in ("kill", "pause", "update --pids-limit 10"):
        says(bundle.husk(*command.split(), "c"), not_running)
    says(bundle.husk("resume", "c"), 'container "c" is stopped: container not paused')
    says(bundle.husk("exec", "c", "true"), not_running, rc=255)
    says(bundle.husk("start", "c"), 'cannot start container "c": it is stopped, not created')
    assert bundle.husk("delete", "c").rc == 0
    assert_nothing_left(bundle, "c")


def test_a_busy_id_is_named(bundle):
    bundle.config["process"]["args"] = ["true"]
    bundle.write()
    assert bundle.husk("create", "c").rc == 0
    says(bundle.husk("create", "c"), 'container "c" already exists')
    assert bundle.state("c")["status"] == "created", "the first container is untouched"
    assert bundle.husk("delete", "c").rc == 0


NO_TERMINAL = ("--console-socket {}: the process has no terminal to send (process.terminal is "
               "false; exec: no --tty): set it, or leave --console-socket out")


@pytest.mark.parametrize("command", ["create", "run"])
def test_a_console_socket_without_a_terminal_is_refused(bundle, tmp_path, command):
    """runc refuses it too: conmon or the shim would wait on the socket for a pty master that
    never comes (husk ignored the flag before)."""
    sock = str(tmp_path / "console.sock")
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    says(bundle.husk(command, "--console-socket", sock, "c"), NO_TERMINAL.format(sock))
    assert_nothing_left(bundle, "c")


def test_exec_with_a_console_socket_and_no_tty_is_refused(bundle, tmp_path):
    sock = str(tmp_path / "console.sock")
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    says(bundle.husk("exec", "--console-socket", sock, "c", "true"), NO_TERMINAL.format(sock),
         rc=255)
    assert len(bundle.husk("ps", "--format", "json", "c").json()) == 1, "no process added"
    assert bundle.husk("delete", "--force", "c").rc == 0


@pytest.mark.parametrize("args,message", [
    (["/etc"], 'exec: "/etc" is a directory: permission denied'),
    (["nosuch"], 'exec: "nosuch": executable file not found in $PATH'),
])
def test_exec_of_a_program_that_cannot_run(bundle, args, message):
    bundle.config["process"]["args"] = ["sleep", "100"]
    bundle.write()
    assert bundle.husk("run", "-d", "c").rc == 0
    says(bundle.husk("exec", "c", *args), message, rc=255)
    assert bundle.husk("delete", "--force", "c").rc == 0


def test_a_control_character_in_what_is_quoted_stays_on_one_line(bundle, tmp_path):
    """Issue 27 item 10: an id, a path or a value with a newline or another control character
    was printed raw, a second line a log reader takes for another message. Escaped: one line."""
    says(bundle.husk("state", "a\nb"), 'invalid container id "a\\nb": use letters, digits and '
         '"_+-."')
    odd = tmp_path / "bun\ndle\x1b[31m"
    odd.mkdir()
    r = bundle.husk("create", "--bundle", str(odd), "c")
    assert r.rc == 1 and len(r.err.splitlines()) == 1, r.err
    assert "bun\\ndle\\x1b[31m/config.json" in r.err and "\x1b" not in r.err, r.err
    bundle.config["linux"]["sysctl"] = {"kernel.shm\nmax": "1"}
    bundle.write()
    r = bundle.husk("create", "c")
    assert r.rc == 1 and len(r.err.splitlines()) == 1 and "shm\\nmax" in r.err, r.err
    assert_nothing_left(bundle, "c")
