/* kiln trace: the logic lives in src/trace. */
#include "commands.h"
#include "trace/trace.h"

int cmd_trace(int argc, char **argv)
{
	return trace_main(argc, argv);
}
