#!/usr/bin/env bash
# Line editing and history in `convmem chat`, checked in a real terminal (tmux).
#
# Types into a chat with tmux send-keys and reads the screen with capture-pane:
#   1. a typo fixed by moving the cursor (Ctrl-A to the start, Right, insert a letter);
#   2. Up recalls the previous line in the same chat;
#   3. a second chat on the same store recalls the first chat's line with Up (history per store).
# Prints each of its 10 checks and exits non-zero if one fails.  Needs tmux; PYTHON picks the
# interpreter (default .venv/bin/python, else python3).  Uses a temp store, hash embedder.
#
#   scripts/tmux_chat_check.sh            # from the repository root
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
command -v tmux >/dev/null || { echo "tmux is missing (apt-get install -y tmux)"; exit 2; }
WORK=$(mktemp -d)
SOCKET="$WORK/tmux.sock"
SESSION=chatcheck
trap 'tmux -S "$SOCKET" kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
CHAT="env CONVMEM_EMBEDDER=hash PYTHONPATH=$PWD $PYTHON -c 'import cli; cli.main()' chat --store $WORK/store --as Ana"
failed=0

screen() { tmux -S "$SOCKET" capture-pane -p -t "$SESSION"; }
wait_for() {  # wait_for PATTERN COUNT: until PATTERN is on screen COUNT times (20 s at most)
    for _ in $(seq 1 100); do
        [ "$(screen | grep -cF -- "$1")" -ge "$2" ] && return 0
        sleep 0.2
    done
    return 1
}
check() {  # check NAME PATTERN COUNT
    if wait_for "$2" "$3"; then echo "ok   $1"; else echo "FAIL $1 (no '$2' x$3 on screen)"; failed=1; fi
}
keys() { tmux -S "$SOCKET" send-keys -t "$SESSION" "$@"; }

tmux -S "$SOCKET" new-session -d -s "$SESSION" -x 160 -y 50 "$CHAT --now 2024-03-01T10:00; sleep 30"
check "chat starts" "you>" 1
keys "My favourite tea is oolong." Enter
check "a statement is remembered" "Noted; I'll remember that." 1
# typo: "Wht is my favourite tea?" -> Ctrl-A, Right, Right, insert "a"
keys "Wht is my favourite tea?"
keys C-a Right Right "a" Enter
check "line editing fixed the typo" "What is my favourite tea?" 1
check "the edited question is answered" "“My favourite tea is oolong.” [t:0]" 1
keys Up Enter
check "Up recalls the last line" "you> What is my favourite tea?" 2
check "the recalled question is answered" "“My favourite tea is oolong.” [t:0]" 2
keys "/quit" Enter
for _ in $(seq 1 50); do [ -s "$WORK/store/chat_history" ] && break; sleep 0.2; done
if grep -qF "Wht" "$WORK/store/chat_history" || ! grep -qF "What is my favourite tea?" "$WORK/store/chat_history"; then
    echo "FAIL the history file holds the edited line"; failed=1
else
    echo "ok   the history file holds the edited line"
fi
tmux -S "$SOCKET" kill-server 2>/dev/null
sleep 0.5

tmux -S "$SOCKET" new-session -d -s "$SESSION" -x 160 -y 50 "$CHAT --now 2024-03-02T10:00; sleep 30"
check "a second chat starts" "session 2" 1
check "its prompt is up" "you>" 1  # keys sent before the prompt would reach the terminal raw
keys Up Up Up
check "history is kept per store" "you> My favourite tea is oolong." 1
keys C-u "/quit" Enter
echo "--- last screen ---"; screen | sed '/^$/d'
exit $failed
