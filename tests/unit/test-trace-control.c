/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Run-time control of trace events and the log backend: patterns, the
 * environment, the sink, and that disabled or `disable` events emit nothing.
 * Fires the events of tests/tracetool/test-events.
 */
#include <glib.h>
#include <glib/gstdio.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "iommufd/trace.h"
#include "tests/trace-test.h"
#include "../common/fd-check.h"

/* ---- a sink that collects lines ---------------------------------------- */

typedef struct {
    GPtrArray *lines;       /* "line" */
    GPtrArray *events;      /* event name, or "(none)" */
} Collected;

static void collect_sink(const char *event, const char *line, void *opaque)
{
    Collected *c = opaque;
    g_ptr_array_add(c->lines, g_strdup(line));
    g_ptr_array_add(c->events, g_strdup(event ? event : "(none)"));
}

static Collected *collect_start(void)
{
    Collected *c = g_new0(Collected, 1);
    c->lines = g_ptr_array_new_with_free_func(g_free);
    c->events = g_ptr_array_new_with_free_func(g_free);
    iommufd_trace_set_sink(collect_sink, c);
    return c;
}

static void collect_stop(Collected *c)
{
    iommufd_trace_set_sink(NULL, NULL);
    g_ptr_array_unref(c->lines);
    g_ptr_array_unref(c->events);
    g_free(c);
}

static void all_off(void)
{
    iommufd_trace_enable("-*");
}

static void fire_all(void)
{
    int local;
    trace_test_noargs();
    trace_test_u32(7);
    trace_test_ints(-8, -16, -32, -64, 8, 16, 64, true);
    trace_test_hex(0x1000, 0x3, &local);
    trace_test_str("/dev/iommu", -2);
    trace_test_c_types(4096, -1, 10, -10, 20, -20, 255, 65535);
    trace_test_percent(50);
    trace_test_ten(0, 1, 2, 3, 4, 0xa5, 6, 0xa7, -8, "nine");
    trace_test_disabled(1);
}

/* ---- tests ------------------------------------------------------------- */

static void test_patterns(void)
{
    all_off();
    g_assert_cmpint(iommufd_trace_event_get_state("test_u32"), ==, 0);
    g_assert_cmpint(iommufd_trace_event_get_state("no_such_event"), ==, -1);
    g_assert_cmpint(iommufd_trace_event_get_state(NULL), ==, -1);

    /* eight compiled events and one `disable` event match test_* */
    g_assert_cmpuint(iommufd_trace_enable("test_*"), ==, 9);
    g_assert_cmpint(iommufd_trace_event_get_state("test_u32"), ==, 1);
    g_assert_cmpint(iommufd_trace_event_get_state("test_ten"), ==, 1);
    /* a `disable` event cannot be switched on */
    g_assert_cmpint(iommufd_trace_event_get_state("test_disabled"), ==, 0);

    /* a leading '-' disables; patterns apply in order */
    g_assert_cmpuint(iommufd_trace_enable("-test_h*"), ==, 1);
    g_assert_cmpint(iommufd_trace_event_get_state("test_hex"), ==, 0);
    g_assert_cmpint(iommufd_trace_event_get_state("test_u32"), ==, 1);
    g_assert_cmpuint(iommufd_trace_enable("-*,test_u3?"), >=, 10);
    g_assert_cmpint(iommufd_trace_event_get_state("test_u32"), ==, 1);
    g_assert_cmpint(iommufd_trace_event_get_state("test_ints"), ==, 0);

    /* nothing matched: 0, and nothing changes */
    g_assert_cmpuint(iommufd_trace_enable("nothing_is_called_this"), ==, 0);
    g_assert_cmpuint(iommufd_trace_enable(""), ==, 0);
    g_assert_cmpuint(iommufd_trace_enable(NULL), ==, 0);
    g_assert_cmpint(iommufd_trace_event_get_state("test_u32"), ==, 1);

    /* character classes and exact names */
    all_off();
    g_assert_cmpuint(iommufd_trace_enable("test_[hs]*"), ==, 2);
    g_assert_cmpint(iommufd_trace_event_get_state("test_hex"), ==, 1);
    g_assert_cmpint(iommufd_trace_event_get_state("test_str"), ==, 1);
    all_off();
}

typedef struct {
    GHashTable *seen;
    unsigned compiled_out;
} ListState;

static void list_cb(const char *name, bool enabled, bool compiled, void *opaque)
{
    ListState *s = opaque;
    g_assert_false(g_hash_table_contains(s->seen, name));
    g_hash_table_insert(s->seen, g_strdup(name), GINT_TO_POINTER(enabled ? 2 : 1));
    if (!compiled) {
        s->compiled_out++;
        g_assert_false(enabled);
    }
}

static void test_list(void)
{
    ListState s = { g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL), 0 };

    all_off();
    iommufd_trace_enable("test_str");
    size_t n = iommufd_trace_list(list_cb, &s);
    g_assert_cmpuint(n, ==, g_hash_table_size(s.seen));
    /* the library's own events and the nine test events */
    g_assert_true(g_hash_table_contains(s.seen, "iommufd_trace_enable"));
    g_assert_true(g_hash_table_contains(s.seen, "test_disabled"));
    g_assert_cmpint(GPOINTER_TO_INT(g_hash_table_lookup(s.seen, "test_str")), ==, 2);
    g_assert_cmpint(GPOINTER_TO_INT(g_hash_table_lookup(s.seen, "test_u32")), ==, 1);
    g_assert_cmpuint(s.compiled_out, ==, 1);
    g_assert_cmpuint(iommufd_trace_list(NULL, NULL), ==, n);
    g_hash_table_unref(s.seen);
    all_off();
}

static void test_sink_lines(void)
{
    Collected *c = collect_start();
    char ptrbuf[64];
    int local;

    all_off();
    iommufd_trace_enable("test_*");
    int dummy;
    (void)dummy;
    trace_test_noargs();
    trace_test_u32(7);
    trace_test_ints(-8, -16, -32, -64, 8, 16, 64, true);
    trace_test_hex(0x1000, 0x3, &local);
    trace_test_str("/dev/iommu", -2);
    trace_test_str(NULL, 0);
    trace_test_c_types(4096, -1, 10, -10, 20, -20, 255, 65535);
    trace_test_percent(50);
    trace_test_ten(0, 1, 2, 3, 4, 0xa5, 6, 0xa7, -8, "nine");
    trace_test_disabled(1);
    all_off();

    snprintf(ptrbuf, sizeof(ptrbuf), "test_hex iova 0x1000 flags 0x3 ptr %p", (void *)&local);
    const char *want[] = {
        "test_noargs no arguments",
        "test_u32 id 7",
        "test_ints a -8 b -16 c -32 d -64 e 8 f 16 g 64 h 1",
        ptrbuf,
        "test_str path /dev/iommu err -2",
        "test_str path (null) err 0",
        "test_c_types len 4096 ret -1 ul 10 l -10 ull 20 ll -20 uc 255 us 65535",
        "test_percent progress 50%",
        "test_ten a0 0 a1 1 a2 2 a3 3 a4 4 a5 0xa5 a6 6 a7 a7 a8 -8 a9 nine",
    };
    const char *want_events[] = {
        "test_noargs", "test_u32", "test_ints", "test_hex", "test_str", "test_str",
        "test_c_types", "test_percent", "test_ten",
    };
    g_assert_cmpuint(c->lines->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++) {
        g_assert_cmpstr(g_ptr_array_index(c->lines, i), ==, want[i]);
        g_assert_cmpstr(g_ptr_array_index(c->events, i), ==, want_events[i]);
    }
    collect_stop(c);
}

static void test_disabled_emit_nothing(void)
{
    Collected *c = collect_start();

    all_off();
    fire_all();
    g_assert_cmpuint(c->lines->len, ==, 0);

    /* only the enabled one emits */
    iommufd_trace_enable("test_percent");
    fire_all();
    g_assert_cmpuint(c->lines->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(c->lines, 0), ==, "test_percent progress 50%");

    /* a `disable` event: compiled to nothing, even when patterns match it */
    iommufd_trace_enable("-*,test_disabled");
    g_assert_false(TRACE_TEST_DISABLED_ENABLED);
    g_assert_false(trace_test_disabled_enabled());
    trace_test_disabled(42);
    g_assert_cmpuint(c->lines->len, ==, 1);
    all_off();
    collect_stop(c);
}

/* the function form: (trace_x)(...) and a pointer to it */
static void test_function_form(void)
{
    Collected *c = collect_start();
    void (*fp)(uint32_t) = trace_test_u32;

    all_off();
    iommufd_trace_enable("test_u32");
    (trace_test_u32)(11);
    fp(12);
    all_off();
    fp(13);
    g_assert_cmpuint(c->lines->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(c->lines, 0), ==, "test_u32 id 11");
    g_assert_cmpstr(g_ptr_array_index(c->lines, 1), ==, "test_u32 id 12");
    collect_stop(c);
}

/* arguments are evaluated only when the event is on */
static int evaluated;
static uint32_t count_evaluation(void)
{
    return (uint32_t)++evaluated;
}

static void test_lazy_arguments(void)
{
    Collected *c = collect_start();

    all_off();
    evaluated = 0;
    trace_test_u32(count_evaluation());
    g_assert_cmpint(evaluated, ==, 0);
    iommufd_trace_enable("test_u32");
    trace_test_u32(count_evaluation());
    g_assert_cmpint(evaluated, ==, 1);
    g_assert_cmpuint(c->lines->len, ==, 1);
    all_off();
    collect_stop(c);
}

static void test_enabled_query(void)
{
    all_off();
    g_assert_true(TRACE_TEST_U32_ENABLED);
    g_assert_false(trace_test_u32_enabled());
    iommufd_trace_enable("test_u32");
    g_assert_true(trace_test_u32_enabled());
    all_off();
    g_assert_false(trace_test_u32_enabled());
}

/* the library's own event records each pattern change */
static void test_control_event(void)
{
    Collected *c = collect_start();

    all_off();
    iommufd_trace_enable("iommufd_trace_enable");
    iommufd_trace_enable("test_u32,test_str");
    iommufd_trace_enable("-iommufd_trace_enable");
    iommufd_trace_enable("test_hex");
    /* it fires after the change: the call that disables it is not recorded */
    g_assert_cmpuint(c->lines->len, ==, 2);
    g_assert_cmpstr(g_ptr_array_index(c->lines, 0), ==,
                    "iommufd_trace_enable patterns iommufd_trace_enable matched 1");
    g_assert_cmpstr(g_ptr_array_index(c->lines, 1), ==,
                    "iommufd_trace_enable patterns test_u32,test_str matched 2");
    all_off();
    collect_stop(c);
}

static void timestamp_sink(const char *event, const char *line, void *opaque)
{
    (void)event;
    *(char **)opaque = g_strdup(line);
}

static void test_timestamps(void)
{
    char *line = NULL;

    all_off();
    iommufd_trace_set_sink(timestamp_sink, &line);
    iommufd_trace_enable("test_u32");
    iommufd_trace_set_timestamps(true);
    trace_test_u32(9);
    iommufd_trace_set_timestamps(false);
    g_assert_nonnull(line);
    g_assert_true(g_regex_match_simple("^[0-9]+\\.[0-9]{6} \\[[0-9]+\\] test_u32 id 9$",
                                       line, 0, 0));
    g_free(line);
    line = NULL;
    trace_test_u32(10);
    g_assert_cmpstr(line, ==, "test_u32 id 10");
    g_free(line);
    iommufd_trace_set_sink(NULL, NULL);
    all_off();
}

static void long_line_sink(const char *event, const char *line, void *opaque)
{
    (void)event;
    *(char **)opaque = g_strdup(line);
}

/* a line longer than the stack buffer is emitted whole */
static void test_long_line(void)
{
    char *line = NULL;
    char *arg = g_strnfill(3000, 'x');

    all_off();
    iommufd_trace_set_sink(long_line_sink, &line);
    iommufd_trace_enable("test_str");
    trace_test_str(arg, 1);
    g_assert_nonnull(line);
    g_assert_cmpuint(strlen(line), ==, strlen("test_str path ") + 3000 + strlen(" err 1"));
    g_assert_true(g_str_has_suffix(line, "x err 1"));
    g_free(line);
    g_free(arg);
    iommufd_trace_set_sink(NULL, NULL);
    all_off();
}

/* an event fired from inside the sink is dropped, not a deadlock */
static void reentrant_sink(const char *event, const char *line, void *opaque)
{
    (void)event;
    (void)line;
    (*(int *)opaque)++;
    trace_test_u32(1);
}

static void test_reentrant_sink(void)
{
    int calls = 0;

    all_off();
    iommufd_trace_set_sink(reentrant_sink, &calls);
    iommufd_trace_enable("test_u32");
    trace_test_u32(5);
    g_assert_cmpint(calls, ==, 1);
    iommufd_trace_set_sink(NULL, NULL);
    all_off();
}

/* ---- threads: toggling and firing at once (the tsan set-up runs this) --- */

static int thread_lines;
static pthread_mutex_t thread_lines_lock = PTHREAD_MUTEX_INITIALIZER;

static void count_sink(const char *event, const char *line, void *opaque)
{
    (void)event;
    (void)line;
    (void)opaque;
    pthread_mutex_lock(&thread_lines_lock);
    thread_lines++;
    pthread_mutex_unlock(&thread_lines_lock);
}

static void *toggler(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000; i++) {
        iommufd_trace_enable(i % 2 ? "-test_noargs" : "test_noargs");
        (void)iommufd_trace_event_get_state("test_noargs");
    }
    return NULL;
}

static void *firer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5000; i++) {
        trace_test_noargs();
        trace_test_u32((uint32_t)i);
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[4];

    all_off();
    thread_lines = 0;
    iommufd_trace_set_sink(count_sink, NULL);
    iommufd_trace_enable("test_u32");
    pthread_create(&t[0], NULL, toggler, NULL);
    pthread_create(&t[1], NULL, firer, NULL);
    pthread_create(&t[2], NULL, firer, NULL);
    pthread_create(&t[3], NULL, toggler, NULL);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    iommufd_trace_set_sink(NULL, NULL);
    /* test_u32 was on throughout: every one of its 10000 lines arrived */
    g_assert_cmpint(thread_lines, >=, 10000);
    g_assert_cmpint(thread_lines, <=, 20000);
    all_off();
}

/* ---- the environment: read once at start-up, so tested in a child ------- */

static const char *self_path;

static char *run_child(const char *mode, const char *const *env_add, int *status)
{
    char **envp = g_get_environ();
    char *out = NULL;
    GError *err = NULL;
    const char *argv[] = { self_path, "--child", mode, NULL };

    envp = g_environ_unsetenv(envp, "IOMMUFD_TRACE");
    envp = g_environ_unsetenv(envp, "IOMMUFD_TRACE_FILE");
    envp = g_environ_unsetenv(envp, "IOMMUFD_TRACE_TIMESTAMP");
    for (int i = 0; env_add[i]; i += 2) {
        envp = g_environ_setenv(envp, env_add[i], env_add[i + 1], TRUE);
    }
    g_assert_true(g_spawn_sync(NULL, (char **)argv, envp, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, NULL, status, &err));
    g_assert_no_error(err);
    g_strfreev(envp);
    return out;
}

static int child_main(const char *mode)
{
    if (strcmp(mode, "fire") == 0) {
        fire_all();
        return 0;
    }
    if (strcmp(mode, "state") == 0) {
        /* report the states the environment set */
        fprintf(stdout, "u32=%d str=%d hex=%d\n", iommufd_trace_event_get_state("test_u32"),
                iommufd_trace_event_get_state("test_str"),
                iommufd_trace_event_get_state("test_hex"));
        return 0;
    }
    return 2;
}

static char *read_file(const char *path)
{
    char *text = NULL;
    GError *err = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, &err));
    g_assert_no_error(err);
    return text;
}

static void test_env_patterns(void)
{
    int status;
    const char *env[] = { "IOMMUFD_TRACE", "test_*,-test_hex", NULL };
    char *out = run_child("state", env, &status);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_assert_cmpstr(out, ==, "u32=1 str=1 hex=0\n");
    g_free(out);

    const char *none[] = { NULL };
    out = run_child("state", none, &status);
    g_assert_cmpstr(out, ==, "u32=0 str=0 hex=0\n");
    g_free(out);
}

static void test_env_file(void)
{
    int status;
    char *dir = g_dir_make_tmp("iommufd-trace-XXXXXX", NULL);
    char *path = g_build_filename(dir, "trace.log", NULL);
    const char *env[] = { "IOMMUFD_TRACE", "test_u32,test_str", "IOMMUFD_TRACE_FILE", path, NULL };

    char *out = run_child("fire", env, &status);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    g_free(out);
    char *text = read_file(path);
    g_assert_cmpstr(text, ==, "test_u32 id 7\ntest_str path /dev/iommu err -2\n");
    g_free(text);

    /* appends; with timestamps each line carries time and thread id */
    const char *env2[] = { "IOMMUFD_TRACE", "test_percent", "IOMMUFD_TRACE_FILE", path,
                           "IOMMUFD_TRACE_TIMESTAMP", "1", NULL };
    out = run_child("fire", env2, &status);
    g_free(out);
    text = read_file(path);
    g_assert_true(g_regex_match_simple(
        "^test_u32 id 7\ntest_str path /dev/iommu err -2\n"
        "[0-9]+\\.[0-9]{6} \\[[0-9]+\\] test_percent progress 50%\n$", text, 0, 0));
    g_free(text);

    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

static void test_env_help(void)
{
    int status;
    char *dir = g_dir_make_tmp("iommufd-trace-XXXXXX", NULL);
    char *path = g_build_filename(dir, "help.log", NULL);
    const char *env[] = { "IOMMUFD_TRACE", "help", "IOMMUFD_TRACE_FILE", path, NULL };

    char *out = run_child("state", env, &status);
    g_assert_cmpstr(out, ==, "u32=0 str=0 hex=0\n");
    g_free(out);
    char *text = read_file(path);
    char **lines = g_strsplit(text, "\n", -1);
    /* every registered event, one per line, nothing else */
    GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
    for (char **l = lines; *l && **l; l++) {
        g_hash_table_add(names, *l);
    }
    g_assert_true(g_hash_table_contains(names, "iommufd_trace_enable"));
    g_assert_true(g_hash_table_contains(names, "test_noargs"));
    g_assert_true(g_hash_table_contains(names, "test_ten"));
    g_assert_true(g_hash_table_contains(names, "test_disabled"));
    g_assert_cmpuint(g_hash_table_size(names), ==, iommufd_trace_list(NULL, NULL));
    g_hash_table_unref(names);
    g_strfreev(lines);
    g_free(text);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

/* default output is stderr when no file is named */
static void test_env_stderr(void)
{
    char **envp = g_get_environ();
    char *err_text = NULL;
    int status;
    const char *argv[] = { self_path, "--child", "fire", NULL };

    envp = g_environ_setenv(envp, "IOMMUFD_TRACE", "test_noargs", TRUE);
    envp = g_environ_unsetenv(envp, "IOMMUFD_TRACE_FILE");
    envp = g_environ_unsetenv(envp, "IOMMUFD_TRACE_TIMESTAMP");
    g_assert_true(g_spawn_sync(NULL, (char **)argv, envp, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                               &err_text, &status, NULL));
    g_assert_cmpstr(err_text, ==, "test_noargs no arguments\n");
    g_free(err_text);
    g_strfreev(envp);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--child") == 0) {
        return child_main(argv[2]);
    }
    self_path = argv[0];
    g_test_init(&argc, &argv, NULL);
    tu_fd_check_init();
#ifndef IOMMUFD_TRACE_BACKEND_LOG
    /* these tests watch the log backend's output */
    printf("1..0 # SKIP the log trace backend is not compiled in (-Dtrace_backends)\n");
    return 0;
#endif
    tu_add_func("/trace/patterns", test_patterns);
    tu_add_func("/trace/list", test_list);
    tu_add_func("/trace/sink-lines", test_sink_lines);
    tu_add_func("/trace/disabled-emit-nothing", test_disabled_emit_nothing);
    tu_add_func("/trace/enabled-query", test_enabled_query);
    tu_add_func("/trace/function-form", test_function_form);
    tu_add_func("/trace/lazy-arguments", test_lazy_arguments);
    tu_add_func("/trace/control-event", test_control_event);
    tu_add_func("/trace/timestamps", test_timestamps);
    tu_add_func("/trace/long-line", test_long_line);
    tu_add_func("/trace/reentrant-sink", test_reentrant_sink);
    tu_add_func("/trace/threads", test_threads);
    tu_add_func("/trace/env/patterns", test_env_patterns);
    tu_add_func("/trace/env/file", test_env_file);
    tu_add_func("/trace/env/help", test_env_help);
    tu_add_func("/trace/env/stderr", test_env_stderr);
    return g_test_run();
}
