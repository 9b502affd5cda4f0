/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fd hygiene for every GTest binary of the unit, abi, conformance, events and
 * mock suites: after EVERY test the process has the same open fds as before
 * it (a leftover fails that test, naming the fd and what it points to), and
 * no fd that was open before the test was closed by it.
 *
 * Header-only on purpose (static inline): a binary only needs the project
 * root on its include path (rootinc), which all of them already have, so no
 * suite's meson.build has to link anything for it.
 *
 * Use: register tests with tu_add_func() / tu_add_data_func() / tu_add()
 * instead of g_test_add_func() / g_test_add_data_func() / g_test_add(); call
 * tu_fd_check_init() after g_test_init().  The snapshot is taken before the
 * fixture's setup and compared after its teardown, so a fixture's own fds
 * count as the test's.
 *
 * What it does not see: fds of a child (g_test_trap_subprocess runs the test
 * in a new process, which checks itself with the same wrapper) and fds opened
 * and closed again inside the test (the CLOEXEC checks of
 * tests/conformance/test-fdhygiene.c cover those the library creates).
 */
#ifndef IOMMUFD_TEST_FD_CHECK_H
#define IOMMUFD_TEST_FD_CHECK_H

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* fds open now (ascending), without the directory stream's own fd */
static inline GArray *tu_fd_list(void)
{
    GArray *fds = g_array_new(FALSE, FALSE, sizeof(int));
    DIR *d = opendir("/proc/self/fd");

    if (!d) {
        /* no /proc: nothing to compare (both snapshots empty) */
        return fds;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (e->d_name[0] == '.' || *end || fd == dirfd(d)) {
            continue;
        }
        int v = (int)fd;
        g_array_append_val(fds, v);
    }
    closedir(d);
    return fds;
}

/* what fd points to ("/dev/null", "pipe:[123]", "/memfd:iommufd-mock"),
 * into buf */
static inline const char *tu_fd_target(int fd, char *buf, size_t len)
{
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, len - 1);
    if (n < 0) {
        snprintf(buf, len, "(unreadable)");
    } else {
        buf[n] = '\0';
    }
    return buf;
}

static inline bool tu_fd_in(GArray *set, int fd)
{
    for (guint i = 0; i < set->len; i++) {
        if (g_array_index(set, int, i) == fd) {
            return true;
        }
    }
    return false;
}

/*
 * Compare the fds open now with a snapshot.  Returns NULL when they are the
 * same, else a message naming every difference (g_free it).
 */
static inline char *tu_fd_compare(GArray *before)
{
    GArray *now = tu_fd_list();
    GString *msg = NULL;
    char target[512];

    for (guint i = 0; i < now->len; i++) {
        int fd = g_array_index(now, int, i);
        if (!tu_fd_in(before, fd)) {
            if (!msg) {
                msg = g_string_new(NULL);
            }
            g_string_append_printf(msg, "%sfd %d (%s) was left open by the test",
                                   msg->len ? "; " : "", fd,
                                   tu_fd_target(fd, target, sizeof(target)));
        }
    }
    for (guint i = 0; i < before->len; i++) {
        int fd = g_array_index(before, int, i);
        if (!tu_fd_in(now, fd)) {
            if (!msg) {
                msg = g_string_new(NULL);
            }
            g_string_append_printf(msg, "%sfd %d, open before the test, was closed by it",
                                   msg->len ? "; " : "", fd);
        }
    }
    g_array_unref(now);
    return msg ? g_string_free(msg, FALSE) : NULL;
}

/* An fd that is open and has FD_CLOEXEC (for g_assert_true). */
static inline bool tu_fd_is_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFD);
    return flags >= 0 && (flags & FD_CLOEXEC);
}

/* An fd that is open (fcntl succeeds). */
static inline bool tu_fd_is_open(int fd)
{
    return fd >= 0 && fcntl(fd, F_GETFD) >= 0;
}

/* ---- the test wrapper ------------------------------------------------------ */

typedef struct TuTest {
    gconstpointer data;
    GTestFixtureFunc setup;
    GTestFixtureFunc test;
    GTestFixtureFunc teardown;
    GArray *before;
} TuTest;

static inline void tu_wrap_setup(gpointer fixture, gconstpointer data)
{
    TuTest *t = (TuTest *)data;

    if (t->before) {
        g_array_unref(t->before);
    }
    t->before = tu_fd_list();
    if (t->setup) {
        t->setup(fixture, t->data);
    }
}

static inline void tu_wrap_test(gpointer fixture, gconstpointer data)
{
    const TuTest *t = data;
    t->test(fixture, t->data);
}

static inline void tu_wrap_teardown(gpointer fixture, gconstpointer data)
{
    TuTest *t = (TuTest *)data;

    if (t->teardown) {
        t->teardown(fixture, t->data);
    }
    char *msg = tu_fd_compare(t->before);
    g_array_unref(t->before);
    t->before = NULL;
    if (msg) {
#if GLIB_CHECK_VERSION(2, 70, 0)
        g_test_fail_printf("fd hygiene: %s", msg);
#else
        g_test_message("fd hygiene: %s", msg);
        g_test_fail();
#endif
        g_free(msg);
    }
}

/*
 * What the wrappers allocate lives as long as the process (GTest keeps the
 * pointers); holding it here keeps it reachable, so LeakSanitizer and
 * valgrind do not count it as leaked.
 */
static GPtrArray *tu_registry;

static inline gpointer tu_keep(gpointer p)
{
    if (!tu_registry) {
        tu_registry = g_ptr_array_new();
    }
    g_ptr_array_add(tu_registry, p);
    return p;
}

/* g_test_add_vtable with the fd check around setup + test + teardown */
static inline void tu_add_vtable(const char *path, gsize size, gconstpointer data,
                                 GTestFixtureFunc setup, GTestFixtureFunc test,
                                 GTestFixtureFunc teardown)
{
    /* one per registered test, alive as long as the process: GTest keeps
     * the pointer */
    TuTest *t = tu_keep(g_new0(TuTest, 1));

    t->data = data;
    t->setup = setup;
    t->test = test;
    t->teardown = teardown;
    g_test_add_vtable(path, size, t, tu_wrap_setup, tu_wrap_test, tu_wrap_teardown);
}

/* like g_test_add() */
#define tu_add(path, Fixture, data, setup, test, teardown)                                  \
    G_STMT_START {                                                                          \
        void (*_tu_setup)(Fixture *, gconstpointer) = (setup);                              \
        void (*_tu_test)(Fixture *, gconstpointer) = (test);                                \
        void (*_tu_teardown)(Fixture *, gconstpointer) = (teardown);                        \
        tu_add_vtable((path), sizeof(Fixture), (data), (GTestFixtureFunc)(void *)_tu_setup, \
                      (GTestFixtureFunc)(void *)_tu_test,                                   \
                      (GTestFixtureFunc)(void *)_tu_teardown);                              \
    } G_STMT_END

static inline void tu_call_func(gpointer fixture, gconstpointer data)
{
    (void)fixture;
    ((GTestFunc)(void *)data)();
}

static inline void tu_call_data_func(gpointer fixture, gconstpointer data)
{
    const gconstpointer *pair = data;
    (void)fixture;
    ((GTestDataFunc)(void *)pair[0])(pair[1]);
}

/* like g_test_add_func() */
static inline void tu_add_func(const char *path, GTestFunc fn)
{
    tu_add_vtable(path, 0, (gconstpointer)(void *)fn, NULL, tu_call_func, NULL);
}

/* like g_test_add_data_func() */
static inline void tu_add_data_func(const char *path, gconstpointer data, GTestDataFunc fn)
{
    gconstpointer *pair = tu_keep(g_new(gconstpointer, 2));
    pair[0] = (gconstpointer)(void *)fn;
    pair[1] = data;
    tu_add_vtable(path, 0, pair, NULL, tu_call_data_func, NULL);
}

/*
 * Open what GLib opens once per process on first use (the default main
 * context's wakeup eventfd), so that the first test to use it is not blamed.
 * Call after g_test_init().
 */
static inline void tu_child_reaped(GPid pid, gint status, gpointer data)
{
    (void)pid;
    (void)status;
    *(gboolean *)data = TRUE;
}

static inline void tu_fd_check_init(void)
{
    (void)g_main_context_default();
    /*
     * Watch one child exit, so that what GLib sets up once for that is set
     * up before the first test: where pidfd_open() is unavailable (valgrind
     * does not know the system call) GLib watches SIGCHLD through its
     * worker thread, whose context keeps an eventfd open for the rest of
     * the process; the first g_test_trap_subprocess() would be blamed.
     */
    pid_t pid = fork();
    if (pid == 0) {
        _exit(0);
    }
    if (pid > 0) {
        GMainContext *ctx = g_main_context_new();
        gboolean done = FALSE;
        GSource *src = g_child_watch_source_new(pid);
        g_source_set_callback(src, (GSourceFunc)(void (*)(void))tu_child_reaped, &done, NULL);
        g_source_attach(src, ctx);
        while (!done) {
            g_main_context_iteration(ctx, TRUE);
        }
        g_source_destroy(src);
        g_source_unref(src);
        g_main_context_unref(ctx);
    }
}

#endif
