#!/bin/sh
# tests/repl/tty.sh - netc repl on a terminal (issue 6), driven through
# tmux send-keys on a tmux server of its own (a socket in its temp folder;
# skipped without tmux): the prompt, a multi-line definition, completion of
# a command and of a defined name, Ctrl-C during :train returning to the
# prompt with the weights kept (a later :train goes on from them), Ctrl-C
# at the prompt dropping the line only, and the history file.
set -u
. "$abs_top_srcdir/tests/e2e/common.sh"
command -v tmux >/dev/null 2>&1 || { echo "SKIP: no tmux"; exit 77; }

net="$abs_top_srcdir/examples/mnist.net"
sock="$tmp/tmux.sock"
T() { tmux -S "$sock" "$@"; }
trap 'T kill-server 2>/dev/null; rm -rf "$tmp"' 0
screen() { T capture-pane -p -J -S -2000 -t repl; }
# wait_for PATTERN [SECONDS]: until the screen has a line matching PATTERN
wait_for() {
	n=0
	while ! screen | grep -q -- "$1"; do
		n=`expr $n + 1`
		if [ $n -gt `expr ${2:-60} \* 10` ]; then
			screen | tail -30
			fail "no '$1' on the terminal within ${2:-60} s"
		fi
		sleep 0.1
	done
}
count() { screen | grep -c -- "$1"; }

cd "$tmp" || exit 99
T new-session -d -s repl -x 160 -y 50 \
	"env NETC_HISTORY='$tmp/hist' TERM=xterm '$NETC' repl '$net'; echo REPL-EXITED \$?; sleep 60" ||
	fail "tmux new-session"
wait_for '^netc> ' 30
wait_for 'defined train mnist_lenet' 5

# a definition over several lines: continuation prompts until the brace closes
T send-keys -t repl 'network tiny(classes = 10) {' Enter
wait_for '^  \.\.\.> '
T send-keys -t repl '    input x : f32[1, 28, 28]' Enter
T send-keys -t repl '    @chain x => flatten => dense(classes)' Enter
T send-keys -t repl '}' Enter
wait_for '^defined network tiny$'

# completion: :sha<Tab> -> :shape, ti<Tab> -> tiny
T send-keys -t repl ':sha' Tab
wait_for '^netc> :shape'
T send-keys -t repl 'ti' Tab   # the completion of :shape ended in a space
wait_for '^netc> :shape tiny'
T send-keys -t repl Enter
wait_for '^output dense_1: \[10\]$'

# Ctrl-C at the prompt drops the line, not the session
T send-keys -t repl ':summary half typed'
T send-keys -t repl C-c
sleep 0.5
T send-keys -t repl ':eval lenet_bn on mnist sample 3' Enter
wait_for 'after 0 training steps' 60

# Ctrl-C during :train: back at the prompt, the weights kept
T send-keys -t repl ':train mnist_lenet epochs=5' Enter
wait_for 'epoch 1/10  step [0-9]*/125' 60
sleep 1
T send-keys -t repl C-c
wait_for '^stopped at step [0-9]*: the weights are kept' 30
step=`screen | sed -n 's/^stopped at step \([0-9]*\):.*/\1/p' | tail -1`
echo "stopped at step $step"
test "$step" -gt 0 && test "$step" -lt 625 || fail "stopped at step '$step'"
T send-keys -t repl ':eval lenet_bn on mnist sample 3' Enter
wait_for "after $step training steps" 30
T send-keys -t repl ':train mnist_lenet steps=3' Enter
wait_for "^mnist_lenet: trained to step `expr $step + 3`$" 60

T send-keys -t repl ':quit' Enter
wait_for '^REPL-EXITED 0$' 30
grep -q '^:shape tiny *$' hist || { cat hist; fail "the history file lacks ':shape tiny'"; }
grep -q '^network tiny(classes = 10) {$' hist || fail "the history lacks the definition"
! grep -q 'half typed' hist || fail "the line dropped by Ctrl-C went into the history"
screen | tail -5
echo ok
