/* main.c - doormat's entry point: dispatch to a subcommand from a table. */
#include <string.h>

#include "cli.h"

static const dm_cli_command commands[] = {
    {"run", dm_cli_run, "run a scenario and report who can read what"},
    {"check", dm_cli_check, "validate a scenario file only"},
    {"lesson", dm_cli_lesson, "narrate a scenario step by step"},
    {"diff", dm_cli_diff, "compare what two scenarios let each actor read"},
    {"trials", dm_cli_trials, "Monte Carlo over the events' probabilities"},
};

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2)
        return dm_cli_usage_error("no command given (run, check, lesson, diff or trials)");
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        dm_cli_usage(stdout);
        return DM_EXIT_OK;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("doormat %s\n", DOORMAT_VERSION);
        return DM_EXIT_OK;
    }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    if (argv[1][0] == '-')
        return dm_cli_usage_error("unknown option '%s' (a command comes first: run, check, lesson, "
                                  "diff or trials)",
                                  argv[1]);
    return dm_cli_usage_error("unknown command '%s' (commands: run, check, lesson, diff, trials)",
                              argv[1]);
}
