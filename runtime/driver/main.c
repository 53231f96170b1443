/* main.c - the main of a program built by `netc build`: the training
 * driver (driver.h, run.c) with the generated module's entry points.  It
 * is an object of its own, linked before libnetrt.a, so that libnetrt.a
 * itself has no main. */
#include "driver.h"

int main(int argc, char **argv)
{
	return nrt_driver_main(argc, argv);
}
