#!/bin/sh
# resume_agree.sh - the checkpoint to resume is agreed at start-up (issue
# 5): under mpirun -np 2, rank 1 given (through a wrapper that passes
# arguments by OMPI_COMM_WORLD_RANK) a --resume path that does not exist,
# or another checkpoint than rank 0's, makes every rank exit 1 with one
# error from rank 0 naming rank 1 and its path, within seconds (no hang,
# no wait for --comm-timeout); the same checkpoint on both (a copy of it
# under another name) resumes and finishes with status 0.
. "$abs_top_srcdir/tests/mpi/common.sh"
build 32 "$tmp/m32"
cd "$tmp" || exit 99
flags="--data-root $data --log none --quiet --threads 1"
mkdir a b
(cd a && ../m32 --steps 12 $flags) >a.log 2>&1 || { cat a.log; fail "training a"; }
(cd b && ../m32 --steps 6 $flags) >b.log 2>&1 || { cat b.log; fail "training b"; }
cp a/ckpt/lenet-last.safetensors a-copy.safetensors
# wrap R1: rank 0 resumes a's checkpoint, rank 1 the file R1
cat >wrap.sh <<EOF
#!/bin/sh
if [ "\$OMPI_COMM_WORLD_RANK" = 1 ]; then exec "$tmp/m32" "\$@" --resume "\$R1"; fi
exec "$tmp/m32" "\$@" --resume a/ckpt/lenet-last.safetensors
EOF
chmod +x wrap.sh
# expect NAME R1 PATTERN: mpirun fails within 30 s with PATTERN in its output
expect() {
	start=`date +%s`
	R1="$2" MPI_GUARD=30 mpi -np 2 -x R1 ./wrap.sh --steps 14 $flags --comm-timeout 60 \
		>"$1.out" 2>&1
	rc=$?
	end=`date +%s`
	cat "$1.out"
	[ $rc -ne 0 ] || fail "$1: mpirun exited 0"
	[ $rc -ne 124 ] && [ $rc -ne 137 ] || fail "$1: it hung (timeout)"
	grep -q "$3" "$1.out" || fail "$1: no message '$3'"
	test `grep -c "every rank must" "$1.out"` = 1 || fail "$1: not one agreed error"
	echo "$1: exit $rc after `expr $end - $start` s"
}
expect missing nothere.safetensors \
	"rank 1 of 2 could not resume from nothere.safetensors"
expect different b/ckpt/lenet-last.safetensors \
	"rank 1 resumes from b/ckpt/lenet-last.safetensors, which differs from rank 0's"
R1=a-copy.safetensors MPI_GUARD=60 mpi -np 2 -x R1 ./wrap.sh --steps 14 $flags >same.out 2>&1 ||
	{ cat same.out; fail "the same checkpoint on both ranks did not resume"; }
echo "PASS: a missing or different checkpoint on rank 1 is one error at start-up; the same resumes"
