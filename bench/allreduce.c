/* allreduce.c - the sum over ranks of a 100 MB float blob through the
 * comm layer (runtime/comm/comm.h: blocking allreduce, and the gradient
 * path: 25 MiB buckets started non-blocking, then waited for) against a
 * bare MPI_Allreduce, best of R runs each.  Run by bench/allreduce.sh
 * under mpirun; rank 0 prints the figures. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "comm.h"

enum { N = 25 * 1000 * 1000, BUCKET = 25 * (1 << 20) / 4 };

int main(int argc, char **argv)
{
	int reps = argc > 1 ? atoi(argv[1]) : 5;
	char err[512];
	struct nrt_comm *c = nrt_comm_open(60, err, sizeof err);
	float *x = malloc((size_t)N * sizeof *x);
	double best[3] = { 1e30, 1e30, 1e30 };

	if (!c || !x) {
		fprintf(stderr, "allreduce: %s\n", c ? "out of memory" : err);
		return 1;
	}
	for (int64_t i = 0; i < N; i++)
		x[i] = 1e-3f * (float)(i % 1000);
	for (int r = 0; r < reps; r++) {
		double t;
		int req;
		MPI_Barrier(MPI_COMM_WORLD);
		t = MPI_Wtime();
		if (MPI_Allreduce(MPI_IN_PLACE, x, N, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
			return 1;
		t = MPI_Wtime() - t;
		best[0] = t < best[0] ? t : best[0];
		MPI_Barrier(MPI_COMM_WORLD);
		t = MPI_Wtime();
		if (nrt_comm_allreduce_f32(c, x, N, "bench")) {
			fprintf(stderr, "%s\n", nrt_comm_error(c));
			return 1;
		}
		t = MPI_Wtime() - t;
		best[1] = t < best[1] ? t : best[1];
		MPI_Barrier(MPI_COMM_WORLD);
		t = MPI_Wtime();
		for (int64_t o = 0; o < N; o += BUCKET)
			if (nrt_comm_iallreduce_f32(c, x + o, N - o < BUCKET ? N - o : BUCKET, &req))
				return 1;
		if (nrt_comm_wait_all(c, "bench")) {
			fprintf(stderr, "%s\n", nrt_comm_error(c));
			return 1;
		}
		t = MPI_Wtime() - t;
		best[2] = t < best[2] ? t : best[2];
	}
	if (nrt_comm_rank(c) == 0) {
		printf("allreduce of %.0f MB over %d ranks, best of %d:\n", N * 4 / 1e6,
		       nrt_comm_world(c), reps);
		printf("  bare MPI_Allreduce            %8.1f ms  %6.2f GB/s\n", 1e3 * best[0],
		       N * 4 / 1e9 / best[0]);
		printf("  comm layer (blocking)         %8.1f ms  ratio %.2f\n", 1e3 * best[1],
		       best[1] / best[0]);
		printf("  comm layer (25 MiB buckets)   %8.1f ms  ratio %.2f\n", 1e3 * best[2],
		       best[2] / best[0]);
	}
	nrt_comm_close(c, false);
	free(x);
	return 0;
}
