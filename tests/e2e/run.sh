#!/bin/sh
# tests/e2e/run.sh - netc run (issue 6): examples/mnist.net JIT-compiled
# and run in process gives the built program's results bit for bit: the
# -last checkpoints after 100 steps (seed 5, 1 thread) are byte-identical
# and so is the output (less the img/s and ETA figures); --synthetic losses
# agree; a bad file gives netc build's diagnostics and status 1; the
# program's flags after -- (--help, a bad flag: status 2) are the built
# program's.
set -u
. "$abs_top_srcdir/tests/e2e/common.sh"

net="$abs_top_srcdir/examples/mnist.net"
"$NETC" build "$net" -o "$tmp/mnist" || fail "netc build exited $?"
cd "$tmp" || exit 99
mkdir aot jit
flags="--steps 100 --seed 5 --threads 1 --log none"
(cd aot && ../mnist $flags) >aot.out 2>&1 || { cat aot.out; fail "the built program exited $?"; }
(cd jit && "$NETC" run "$net" -- $flags) >jit.out 2>&1 || { cat jit.out; fail "netc run exited $?"; }
tail -2 jit.out
cmp aot/ckpt/mnist-last.safetensors jit/ckpt/mnist-last.safetensors ||
	fail "netc run and the built program wrote different checkpoints after 100 steps"
echo "ok: 100 steps, built and JIT: the same checkpoint, byte for byte"
strip() { sed 's/  *[0-9]* img\/s.*//' "$1"; }
strip aot.out >aot.s
strip jit.out >jit.s
cmp aot.s jit.s || { diff aot.s jit.s | head; fail "netc run printed something else than the built program"; }

# the same losses on random batches; the train section named
./mnist --synthetic --steps 3 --seed 2 >syn.aot || fail "mnist --synthetic exited $?"
"$NETC" run "$net" mnist_lenet -- --synthetic --steps 3 --seed 2 >syn.jit || fail "netc run --synthetic exited $?"
cmp syn.aot syn.jit || fail "--synthetic losses differ"
"$NETC" run --time "$net" -- --synthetic --steps 1 2>time.err >/dev/null || fail "--time"
grep -q '^netc run: JIT compile [0-9.]* s' time.err || { cat time.err; fail "--time printed no compile time"; }

# the program's flags
"$NETC" run "$net" -- --help >help.out || fail "-- --help exited $?"
grep -q -- '--steps' help.out || fail "-- --help does not list --steps"
"$NETC" run "$net" -- --bogus >bogus.out 2>&1
test $? = 2 || { cat bogus.out; fail "a bad program flag: expected status 2"; }
"$NETC" run "$net" -o x >/dev/null 2>&1
test $? = 2 || fail "netc run -o: expected status 2"

# a bad file: netc build's diagnostics, status 1, no crash
cat >bad.net <<'NET'
network n {
    input x : f32[1, 28, 28]
    @chain x => flatten => dense(10) => nosuchlayer(3)
}
train t {
    network = n
    loss = cross_entropy
    optimizer = sgd(lr = 0.1)
    batch = 4
}
NET
"$NETC" build bad.net -o badprog 2>build.err
b=$?
"$NETC" run bad.net 2>run.err
r=$?
cat run.err
test $b = 1 && test $r = 1 || fail "a bad file: netc build exited $b, netc run $r (expected 1)"
cmp build.err run.err || { diff build.err run.err; fail "netc run's diagnostics differ from netc build's"; }
grep -q 'bad.net:3:' run.err || fail "no position in the diagnostic"
"$NETC" run bad.net nosuch 2>run2.err
test $? = 1 || fail "an unknown train section: expected status 1"
"$NETC" run missing.net 2>run3.err
test $? = 1 || fail "a missing file: expected status 1"
grep -q 'missing.net' run3.err || fail "a missing file is not named"
echo ok
