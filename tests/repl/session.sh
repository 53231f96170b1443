#!/bin/sh
# tests/repl/session.sh - netc repl fed a scripted session on standard
# input (issue 6): load examples/mnist.net, :summary, redefine the network
# with a wider dense layer, :shape (a network and a chain), :eval on a data
# sample (class probabilities that sum to 1), :train 200 steps with the
# loss going down, :save (and the file restores, here and in a second
# session, and is refused by another program), then an invalid definition
# that reports its error (once) at its line and column in the input and
# leaves the old definitions working.  No prompts in the output of a script.
# Training in pieces across :set threads equals the built program's run,
# byte for byte.
set -u
. "$abs_top_srcdir/tests/e2e/common.sh"

net="$abs_top_srcdir/examples/mnist.net"
cd "$tmp" || exit 99
cat >s1.in <<EOF2
:load $net
:list
:summary lenet_bn
network lenet_bn(classes = 10) {
    input x : f32[1, 28, 28]
    @chain x => conv(6, 5, pad = 2) => batchnorm => relu => maxpool(2)
             => conv(16, 5) => batchnorm => relu => maxpool(2)
             => flatten
             => dense(256) => relu
             => dense(84) => relu
             => dense(classes)
}
:summary lenet_bn
:shape lenet_bn
:shape f32[1, 28, 28] => conv(6, 5) => relu => maxpool(2)
:eval lenet_bn on mnist sample 3
:train mnist_lenet steps=200
:time
:save $tmp/w.safetensors
:restore $tmp/w.safetensors
network lenet_bn(classes = 10) {
    input x : f32[1, 28, 28]
    @chain x => conv(6, 5) => nosuch(3) => flatten
}
:shape lenet_bn
:eval lenet_bn on mnist sample 3
:nosuchcommand
:emit llvm mnist_lenet
:quit
:list
EOF2
"$NETC" repl <s1.in >s1.out 2>s1.err
rc=$?
cat s1.err
test $rc = 0 || fail "netc repl exited $rc"
grep -v 'img/s' s1.out | head -80
! grep -q 'netc>' s1.out s1.err || fail "a prompt in the output of a script"
grep -q '^defined network lenet_bn$' s1.out || fail ":load did not define lenet_bn"
grep -q '^train    mnist_lenet  *.*mnist.net:45$' s1.out || fail ":list"
grep -q '^dense_1  *dense  *\[120\]  *48,120' s1.out || fail ":summary: the loaded dense(120)"
grep -q '^redefined network lenet_bn$' s1.out || fail "the redefinition"
grep -q '^dense_1  *dense  *\[256\]  *102,656' s1.out || fail ":summary: the redefined dense(256)"
test `grep -c '^output dense_3: \[10\]$' s1.out` = 2 || fail ":shape lenet_bn (before and after the bad definition)"
grep -q '^\[6,12,12\]$' s1.out || fail ":shape of a chain"

# :eval: ten probabilities that sum to 1, twice (the second after training)
test `grep -c '^lenet_bn on mnist sample 3 (label 6), after' s1.out` = 2 || fail ":eval header"
awk '/^class probabilities/ { n = 10; s = 0; next }
     n > 0 { s += $2; n--; if (n == 0) { if (s < 0.999 || s > 1.001) bad = 1; k++ } }
     END { exit bad || k != 2 }' s1.out || fail ":eval: the probabilities do not sum to 1"
grep -q 'after 200 training steps' s1.out || fail ":eval after :train does not use the trained weights"

# :train: the loss goes down
grep 'step [0-9]*/125  loss' s1.out | sed 's/.*  loss \([0-9.]*\) .*/\1/' >losses
test `wc -l <losses` -ge 10 || fail "fewer than 10 progress lines in 200 steps"
first=`head -1 losses`
last=`tail -1 losses`
echo "loss: first $first, last $last"
awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a / 2) }' || fail "the loss did not go down ($first -> $last)"
grep -q '^mnist_lenet: trained to step 200$' s1.out || fail "not at step 200"
grep -q '^last command: [0-9.]* s: compile [0-9.]* s (check, build, JIT, data set-up), run [0-9.]* s$' s1.out ||
	fail ":time"

# :save / :restore
grep -q "^saved $tmp/w.safetensors (mnist_lenet, step 200)$" s1.out || fail ":save"
test -s w.safetensors || fail ":save wrote nothing"
grep -q "^restored $tmp/w.safetensors (mnist_lenet, step 200)$" s1.out || fail ":restore"

# the bad definition: its position in the input (line 23 of s1.in), the old set stays
grep -q '^<input>:23:31: error: unknown layer .nosuch.$' s1.err || fail "the error's position"
# once, though the network is checked with its defaults and then for the train section
test `grep -c 'error: unknown layer .nosuch.' s1.err` = 1 || fail "the error is reported more than once"
grep -q '^(the definitions before stay in force)$' s1.err || fail "no word that the old set stays"
grep -q "unknown command ':nosuchcommand'" s1.err || fail "an unknown command"
grep -q '^define .*@netc_train_step(' s1.out || fail ":emit llvm"
test `grep -c '^train    mnist_lenet' s1.out` = 1 || fail "a command after :quit ran"

# a second session: the checkpoint restores into the same program, and the
# loaded (narrower) network's program refuses it
cat >s2.in <<EOF2
:load $net
:restore $tmp/w.safetensors
network lenet_bn(classes = 10) {
    input x : f32[1, 28, 28]
    @chain x => conv(6, 5, pad = 2) => batchnorm => relu => maxpool(2)
             => conv(16, 5) => batchnorm => relu => maxpool(2)
             => flatten
             => dense(256) => relu
             => dense(84) => relu
             => dense(classes)
}
:restore $tmp/w.safetensors
:eval lenet_bn on mnist sample 3
EOF2
"$NETC" repl <s2.in >s2.out 2>s2.err || { cat s2.err; fail "second session exited $?"; }
cat s2.out s2.err
grep -q 'cannot restore' s2.err || fail "another program's checkpoint was not refused"
grep -q "^restored $tmp/w.safetensors (mnist_lenet, step 200)$" s2.out || fail "restore in a new session"
grep -q 'after 200 training steps' s2.out || fail ":eval after :restore"

# training in pieces (60 steps, :set threads 2, 40 more) is the built
# program's 100 steps, byte for byte; :eval on random input
"$NETC" build "$net" -o mnist || fail "netc build exited $?"
mkdir aot
(cd aot && ../mnist --steps 100 --log none --quiet) >aot.out 2>&1 || { cat aot.out; fail "the built program"; }
cat >s4.in <<EOF2
:load $net
:train mnist_lenet steps=60
:set threads 2
:train mnist_lenet steps=40
:save $tmp/r.safetensors
:eval mnist_lenet on random
EOF2
"$NETC" repl <s4.in >s4.out 2>&1 || { cat s4.out; fail "pieces session exited $?"; }
grep -q '^threads: 2$' s4.out || fail ":set threads"
grep -q '^mnist_lenet on random input, after 100 training steps:$' s4.out || fail ":eval on random"
cmp r.safetensors aot/ckpt/mnist-last.safetensors ||
	fail "60 + 40 steps in the REPL differ from the built program's 100"
echo "ok: :train 60 + 40 (2 threads) = the built program's 100 steps, byte for byte"

# a file that does not load: status 2
"$NETC" repl missing.net </dev/null >/dev/null 2>s3.err
test $? = 2 || fail "a missing file on the command line: expected status 2"
grep -q 'missing.net' s3.err || fail "the missing file is not named"
echo ok
