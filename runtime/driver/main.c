/* main.c - the main of a program built by `netc build`: the training
 * driver (driver.h, run.c) with the generated module's entry points.  It
 * is an object of its own, linked before libnetrt.a, so that libnetrt.a
 * itself has no main and no reference to the netc_* symbols (netc links
 * libnetrt.a and gives the driver JIT-compiled entry points instead). */
#include "driver.h"

int main(int argc, char **argv)
{
	static const struct nrt_entry e = {
		.program = &netc_program,
		.init = netc_init,
		.forward = netc_forward,
		.train_step = netc_train_step,
		.eval_step = netc_eval_step,
		.update = netc_update,
		.workspace_size = netc_workspace_size,
	};
	return nrt_driver_main_entry(&e, argc, argv);
}
