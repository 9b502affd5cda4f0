# SPDX-License-Identifier: LGPL-2.1-or-later
"""Trace backends: what each one adds to the generated header and C file.

Every backend gates an event on one state word in memory, nonzero when the
backend would record it: on x86-64 with gcc one compare of that word with 0
and a branch (asm goto, no register), elsewhere one load, test and branch.
Its enabled path is an out-of-line cold function defined in the group's C
file.
"""

PROVIDER = 'iommufd'


def arg_decls(event):
    return ', '.join(a.decl for a in event.args) or 'void'


def arg_names(event):
    return ', '.join(a.name for a in event.args)


def hidden_proto(fn, event):
    return 'void %s(%s) IOMMUFD_TRACE_COLD;' % (fn, arg_decls(event))


class Backend:
    name = None

    def cold_fn(self, event):
        return '_iommufd_trace_%s_%s' % (self.name, event.name)

    # header: includes, declarations, gate expression
    def h_includes(self, opts):
        return []

    def h_decls(self, event):
        return []

    def h_gate(self, event):
        raise NotImplementedError

    def h_state(self, event):
        """the lvalue of the event's state word (an integer of 2 or 4 bytes)"""
        raise NotImplementedError

    # C file: includes, definitions
    def c_includes(self, opts):
        return []

    def c_state(self, event):
        return []

    def c_body(self, event):
        raise NotImplementedError


class LogBackend(Backend):
    """Formatted lines to the trace sink; state per event set by trace/control.c."""
    name = 'log'

    def h_decls(self, event):
        return [hidden_proto(self.cold_fn(event), event)]

    def h_gate(self, event):
        return ('__builtin_expect(__atomic_load_n(&_iommufd_trace_dstate_%s, '
                '__ATOMIC_RELAXED), 0)' % event.name)

    def h_state(self, event):
        return '_iommufd_trace_dstate_%s' % event.name

    def c_body(self, event):
        vals = []
        for a in event.args:
            if a.type.kind == 'str':
                vals.append('%s ? %s : "(null)"' % (a.name, a.name))
            else:
                vals.append(a.name)
        call = '_iommufd_trace_log_emit("%s", %s%s);' % (
            event.name, event.fmt_c, ''.join(', ' + v for v in vals))
        return [call]


class UstBackend(Backend):
    """LTTng-UST tracepoints, provider 'iommufd', gated by LTTng's own state."""
    name = 'ust'

    def h_includes(self, opts):
        return ['#include "%s"' % opts.ust_header]

    def h_decls(self, event):
        return [hidden_proto(self.cold_fn(event), event)]

    def h_gate(self, event):
        return 'lttng_ust_tracepoint_enabled(%s, %s)' % (PROVIDER, event.name)

    def h_state(self, event):
        # what lttng_ust_tracepoint_enabled() reads (lttng-ust 2.13 <lttng/tracepoint.h>)
        return 'lttng_ust_tracepoint_%s___%s.state' % (PROVIDER, event.name)

    def c_body(self, event):
        args = ''.join(', ' + a.name for a in event.args)
        return ['lttng_ust_do_tracepoint(%s, %s%s);' % (PROVIDER, event.name, args)]


class DtraceBackend(Backend):
    """SystemTap SDT probes (<sys/sdt.h>) with semaphores, provider 'iommufd'."""
    name = 'dtrace'

    def semaphore(self, event):
        return '%s_%s_semaphore' % (PROVIDER, event.name)

    def h_decls(self, event):
        return ['extern unsigned short %s IOMMUFD_TRACE_HIDDEN;' % self.semaphore(event),
                hidden_proto(self.cold_fn(event), event)]

    def h_gate(self, event):
        return ('__builtin_expect(__atomic_load_n(&%s, __ATOMIC_RELAXED), 0)'
                % self.semaphore(event))

    def h_state(self, event):
        return self.semaphore(event)

    def c_includes(self, opts):
        # The semaphore symbols are named in each probe's note.
        return ['#define _SDT_HAS_SEMAPHORES 1', '#include <sys/sdt.h>']

    def c_state(self, event):
        return ['unsigned short %s __attribute__((section(".probes"), used));'
                % self.semaphore(event)]

    def c_body(self, event):
        n = len(event.args)
        if n == 0:
            return ['STAP_PROBE(%s, %s);' % (PROVIDER, event.name)]
        return ['STAP_PROBE%d(%s, %s, %s);' % (n, PROVIDER, event.name, arg_names(event))]


BACKENDS = {
    'log': LogBackend,
    'ust': UstBackend,
    'dtrace': DtraceBackend,
}


def make_backends(names):
    """'log,ust,dtrace' (any subset) or 'nop' -> list of Backend objects."""
    names = [n for n in names.split(',') if n]
    if not names:
        raise ValueError('no backend given (use nop for none)')
    if 'nop' in names:
        if len(names) > 1:
            raise ValueError("'nop' cannot be combined with other backends")
        return []
    out = []
    for n in names:
        if n not in BACKENDS:
            raise ValueError("unknown backend '%s' (known: log, ust, dtrace, nop)" % n)
        if any(b.name == BACKENDS[n].name for b in out):
            raise ValueError("backend '%s' given twice" % n)
        out.append(BACKENDS[n]())
    return out
