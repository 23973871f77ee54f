/* cli_out.c - write a report to stdout or atomically to a file (mkstemp, fsync, rename). */
#include "cli_out.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_diag.h"
#include "doormat/alloc.h"

/* The temporary file a signal must remove (one output at a time). */
static volatile sig_atomic_t tmp_armed;
static char tmp_for_signal[4096];

static void on_signal(int sig)
{
    if (tmp_armed)
        unlink(tmp_for_signal);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void arm(const char *tmp)
{
    size_t n = strlen(tmp);

    if (n >= sizeof tmp_for_signal)
        return;
    memcpy(tmp_for_signal, tmp, n + 1);
    tmp_armed = 1;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    signal(SIGPIPE, on_signal);
}

static void disarm(void)
{
    tmp_armed = 0;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
}

static void close_out(dm_cli_out *o)
{
    dm_free(o->path);
    dm_free(o->tmp);
    o->path = o->tmp = NULL;
    o->f = NULL;
}

dm_err dm_cli_out_open(dm_cli_out *o, const char *path)
{
    const char *slash;
    size_t dirlen;
    struct stat st;
    mode_t mask;
    int fd = -1;
    dm_err err = DM_ERR_IO;

    memset(o, 0, sizeof *o);
    if (path == NULL || strcmp(path, "-") == 0) {
        o->f = stdout;
        return DM_OK;
    }
    if (path[0] == '\0') {
        dm_cli_diag_printf(stderr, dm_cli_diag_colour(stderr), DM_SEV_ERROR, NULL,
                           "-o: empty file name");
        return DM_ERR_IO;
    }
    /* An existing target that is not a regular file (a device, a FIFO,
     * /dev/stdout) is written in place: renaming over it would replace the
     * node, and atomicity means nothing there. */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (S_ISDIR(st.st_mode)) {
            dm_cli_diag_printf(stderr, dm_cli_diag_colour(stderr), DM_SEV_ERROR, path,
                               "is a directory");
            return DM_ERR_IO;
        }
        o->f = fopen(path, "w");
        if (o->f == NULL) {
            dm_cli_diag_printf(stderr, dm_cli_diag_colour(stderr), DM_SEV_ERROR, path,
                               "cannot open: %s", strerror(errno));
            return DM_ERR_IO;
        }
        o->direct = 1;
        return DM_OK;
    }
    o->path = dm_strdup(path);
    slash = strrchr(path, '/');
    dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    /* "<dir>/.<name>.XXXXXX": same directory, so rename() is atomic. */
    o->tmp = dm_malloc(dirlen + strlen(path + dirlen) + 10);
    if (o->path == NULL || o->tmp == NULL) {
        dm_cli_diag_printf(stderr, dm_cli_diag_colour(stderr), DM_SEV_ERROR, path,
                           "out of memory");
        err = DM_ERR_NOMEM;
        goto out;
    }
    memcpy(o->tmp, path, dirlen);
    sprintf(o->tmp + dirlen, ".%s.XXXXXX", path + dirlen);
    fd = mkstemp(o->tmp);
    if (fd < 0) {
        dm_cli_diag_printf(stderr, dm_cli_diag_colour(stderr), DM_SEV_ERROR, path,
                           "cannot create a file beside it: %s", strerror(errno));
        goto out;
    }
    arm(o->tmp);
    /* mkstemp makes 0600; give the report the mode any new file gets. */
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        dm_cli_diag_printf(stderr, dm_cli_diag_colour(stderr), DM_SEV_ERROR, path,
                           "cannot set the file mode: %s", strerror(errno));
        goto out;
    }
    o->f = fdopen(fd, "w");
    if (o->f == NULL) {
        dm_cli_diag_printf(stderr, dm_cli_diag_colour(stderr), DM_SEV_ERROR, path,
                           "cannot open: %s", strerror(errno));
        goto out;
    }
    fd = -1;
    err = DM_OK;
out:
    if (err != DM_OK) {
        if (fd >= 0) {
            close(fd);
            unlink(o->tmp);
            disarm();
        }
        close_out(o);
    }
    return err;
}

dm_err dm_cli_out_commit(dm_cli_out *o)
{
    int colour = dm_cli_diag_colour(stderr);
    int failed = 0, saved = 0;
    dm_err err = DM_ERR_IO;

    if (o->f == NULL)
        return DM_ERR_IO;
    if (o->direct) {
        failed = fflush(o->f) != 0 || ferror(o->f);
        saved = errno ? errno : EIO;
        if (fclose(o->f) != 0 && !failed) {
            failed = 1;
            saved = errno;
        }
        o->f = NULL;
        o->direct = 0;
        if (failed)
            dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, NULL, "cannot write: %s",
                               strerror(saved));
        return failed ? DM_ERR_IO : DM_OK;
    }
    if (o->tmp == NULL) {
        if (fflush(stdout) != 0 || ferror(stdout)) {
            dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, NULL,
                               "writing to standard output: %s",
                               strerror(errno ? errno : EIO));
            o->f = NULL;
            return DM_ERR_IO;
        }
        o->f = NULL;
        return DM_OK;
    }
    if (fflush(o->f) != 0 || ferror(o->f)) {
        failed = 1;
        saved = errno ? errno : EIO;
    } else if (fsync(fileno(o->f)) != 0) {
        failed = 1;
        saved = errno;
    }
    if (fclose(o->f) != 0 && !failed) {
        failed = 1;
        saved = errno;
    }
    o->f = NULL;
    if (failed) {
        dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, o->path, "cannot write: %s",
                           strerror(saved));
        goto out;
    }
    if (rename(o->tmp, o->path) != 0) {
        dm_cli_diag_printf(stderr, colour, DM_SEV_ERROR, o->path, "cannot replace: %s",
                           strerror(errno));
        goto out;
    }
    disarm();
    /* Make the rename itself durable: fsync the directory (best effort). */
    {
        const char *slash = strrchr(o->path, '/');
        int dfd;
        if (slash == NULL) {
            dfd = open(".", O_RDONLY | O_DIRECTORY);
        } else {
            size_t n = (size_t)(slash - o->path);
            o->path[n ? n : 1] = '\0';
            dfd = open(o->path, O_RDONLY | O_DIRECTORY);
        }
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
    }
    err = DM_OK;
out:
    if (err != DM_OK) {
        unlink(o->tmp);
        disarm();
    }
    close_out(o);
    return err;
}

void dm_cli_out_abort(dm_cli_out *o)
{
    if (o->direct && o->f != NULL)
        fclose(o->f);
    o->direct = 0;
    if (o->tmp != NULL) {
        if (o->f != NULL)
            fclose(o->f);
        unlink(o->tmp);
        disarm();
    }
    close_out(o);
}
