/* cli_graph.c - the key graph for the CLI: DOT into a buffer, SVG through Graphviz. */
#include "cli_graph.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doormat/alloc.h"
#include "doormat/html.h"

extern char **environ;

/* Read everything from fd into a new NUL-terminated buffer (dm_free). */
static dm_err slurp(int fd, char **out, size_t *len_out)
{
    size_t len = 0, cap = 8192;
    char *buf = dm_malloc(cap), *p;
    ssize_t n;

    if (buf == NULL)
        return DM_ERR_NOMEM;
    for (;;) {
        if (cap - len < 4096) {
            p = dm_realloc(buf, cap * 2);
            if (p == NULL) {
                dm_free(buf);
                return DM_ERR_NOMEM;
            }
            buf = p;
            cap *= 2;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            dm_free(buf);
            return DM_ERR_IO;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    *len_out = len;
    return DM_OK;
}

/* Run `dot -Tsvg path`, its output into *svg; NULL when it cannot run or fails. */
static dm_err run_dot(const char *path, char **svg, size_t *svg_len)
{
    posix_spawn_file_actions_t fa;
    char *argv[] = {"dot", "-Tsvg", (char *)path, NULL};
    int pipefd[2] = {-1, -1}, status = 0, fa_ready = 0;
    pid_t pid = -1;
    char *buf = NULL;
    size_t len = 0;
    dm_err e = DM_OK;

    *svg = NULL;
    *svg_len = 0;
    if (pipe(pipefd) != 0)
        goto out;
    if (posix_spawn_file_actions_init(&fa) != 0)
        goto out;
    fa_ready = 1;
    if (posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO) != 0 ||
        posix_spawn_file_actions_addclose(&fa, pipefd[0]) != 0 ||
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0) != 0 ||
        posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0) != 0)
        goto out;
    if (posix_spawnp(&pid, "dot", &fa, NULL, argv, environ) != 0) {
        pid = -1;
        goto out;
    }
    close(pipefd[1]);
    pipefd[1] = -1;
    e = slurp(pipefd[0], &buf, &len);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    pid = -1;
    if (e == DM_OK && WIFEXITED(status) && WEXITSTATUS(status) == 0 && len > 0) {
        *svg = buf;
        *svg_len = len;
        buf = NULL;
    }
    e = e == DM_ERR_NOMEM ? e : DM_OK;
out:
    if (fa_ready)
        posix_spawn_file_actions_destroy(&fa);
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    dm_free(buf);
    return e;
}

dm_err dm_cli_graph_render(const dm_run *r, const dm_dot_opts *opts, char **dot,
                           size_t *dot_len, char **svg, size_t *svg_len)
{
    const char *tmpdir = getenv("TMPDIR");
    char path[4096];
    FILE *f = NULL;
    int fd;
    char *d = NULL;
    size_t dl = 0;
    dm_err e;

    if (tmpdir == NULL || tmpdir[0] == '\0')
        tmpdir = "/tmp";
    if ((size_t)snprintf(path, sizeof path, "%s/doormat-graph-XXXXXX", tmpdir) >= sizeof path)
        return DM_ERR_IO;
    fd = mkstemp(path);
    if (fd < 0) {
        fprintf(stderr, "doormat: error: %s: %s\n", path, strerror(errno));
        return DM_ERR_IO;
    }
    f = fdopen(fd, "w+");
    if (f == NULL) {
        close(fd);
        e = DM_ERR_IO;
        goto out;
    }
    if ((e = dm_dot_write(r, opts, f)) != DM_OK)
        goto out;
    if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
        e = DM_ERR_IO;
        goto out;
    }
    if ((e = slurp(fileno(f), &d, &dl)) != DM_OK)
        goto out;
    if ((e = run_dot(path, svg, svg_len)) != DM_OK)
        goto out;
    *dot = d;
    *dot_len = dl;
    d = NULL;
out:
    if (f != NULL)
        fclose(f);
    unlink(path);
    dm_free(d);
    return e;
}

dm_err dm_cli_graph_report(const dm_run *r, const struct dm_verification *v, uint64_t seed,
                           uint32_t actor, int html, FILE *out)
{
    dm_dot_opts dopts;
    dm_html_opts hopts;
    char *dot = NULL, *svg = NULL;
    size_t dot_len = 0, svg_len = 0;
    dm_err e;

    memset(&dopts, 0, sizeof dopts);
    dopts.actor = actor;
    if (!html)
        return dm_dot_write(r, &dopts, out);
    if ((e = dm_cli_graph_render(r, &dopts, &dot, &dot_len, &svg, &svg_len)) != DM_OK)
        goto out;
    memset(&hopts, 0, sizeof hopts);
    hopts.seed = seed;
    hopts.actor = actor;
    hopts.dot = dot;
    hopts.dot_len = dot_len;
    hopts.svg = svg;
    hopts.svg_len = svg_len;
    e = dm_html_write(r, v, &hopts, out);
out:
    dm_free(dot);
    dm_free(svg);
    return e;
}
