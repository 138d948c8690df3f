#!/usr/bin/env python3
"""Reads `perf script -F comm,pid,tid,cpu,time,event,trace` of bench/sync_trace.sh's events and
tells, for one process's journaler thread, where its fdatasync time goes.

Usage: sync_trace.py PERF_TEXT TALLYD_PID [SLOW_MS]"""
import bisect
import collections
import re
import sys

LINE = re.compile(r'^\s*(\S.*?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$')


def parse(path):
    events = []
    for line in open(path):
        match = LINE.match(line)
        if match:
            comm, pid, tid, _, time, name, rest = match.groups()
            events.append((float(time), comm, pid, tid, name, rest))
    return events


def percentile(sorted_values, fraction):
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def journal_syncs(events, pid):
    """Each fdatasync of the journaler, with its time blocked, waiting for a CPU and running."""
    journaler = next((e[3] for e in events if e[2] == pid and e[1] == 'journaler'), None)
    syncs, current = [], None
    for time, _, _, tid, name, rest in events:
        if name == 'syscalls:sys_enter_fdatasync' and tid == journaler:
            current = {'start': time, 'since': time, 'state': 'running',
                       'blocked': 0.0, 'waiting for a CPU': 0.0, 'running': 0.0}
        elif current is None:
            continue
        elif name == 'sched:sched_switch' and f'prev_pid={journaler} ' in rest:
            current[current['state']] += time - current['since']
            current['since'] = time
            sleeping = 'prev_state=D' in rest or 'prev_state=S' in rest
            current['state'] = 'blocked' if sleeping else 'waiting for a CPU'
        elif name == 'sched:sched_switch' and f'next_pid={journaler} ' in rest:
            current[current['state']] += time - current['since']
            current['since'], current['state'] = time, 'running'
        elif name == 'sched:sched_wakeup' and f'pid={journaler} ' in rest:
            current[current['state']] += time - current['since']
            current['since'], current['state'] = time, 'waiting for a CPU'
        elif name == 'syscalls:sys_exit_fdatasync' and tid == journaler:
            current[current['state']] += time - current['since']
            current['end'] = time
            syncs.append(current)
            current = None
    return syncs


def disk_requests(events, pid):
    """(issued, completed, bytes, issuer) of each block request; this tallyd's threads by name."""
    in_flight, requests = {}, []
    for time, comm, event_pid, _, name, rest in events:
        fields = rest.split()
        if name == 'block:block_rq_issue' and len(fields) > 4:
            issuer = comm if event_pid == pid else comm.split('/')[0] + ' (other process)'
            in_flight[(fields[4], fields[1])] = (time, int(fields[2]), issuer)
        elif name == 'block:block_rq_complete' and len(fields) > 3:
            started = in_flight.pop((fields[3], fields[1]), None)
            if started:
                requests.append((started[0], time, started[1], started[2]))
    requests.sort()
    return requests


def main():
    events = parse(sys.argv[1])
    pid = sys.argv[2]
    slow = float(sys.argv[3] if len(sys.argv) > 3 else 10) / 1e3
    syncs = journal_syncs(events, pid)
    if not syncs:
        sys.exit('no fdatasync of a journaler thread of process ' + pid)
    durations = sorted(s['end'] - s['start'] for s in syncs)
    print(f'journal fdatasync: {len(syncs)} syncs; p50 {percentile(durations, .5) * 1e3:.2f} ms, '
          f'p99 {percentile(durations, .99) * 1e3:.2f} ms, p99.9 {percentile(durations, .999) * 1e3:.2f} ms, '
          f'max {durations[-1] * 1e3:.1f} ms')
    slow_syncs = [s for s in syncs if s['end'] - s['start'] > slow]
    for label, chosen in (('all syncs', syncs), (f'the {len(slow_syncs)} over {slow * 1e3:.0f} ms', slow_syncs)):
        total = sum(s['end'] - s['start'] for s in chosen)
        parts = ', '.join(f'{key} {sum(s[key] for s in chosen) * 1e3:.0f} ms'
                          for key in ('blocked', 'waiting for a CPU', 'running'))
        print(f'  {label}: {total * 1e3:.0f} ms = {parts}')
    requests = disk_requests(events, pid)
    starts = [r[0] for r in requests]
    company = collections.Counter()
    for sync in slow_syncs:
        last = bisect.bisect_right(starts, sync['end'])
        writers = {r[3] for r in requests[max(0, last - 5000):last]
                   if r[1] > sync['start'] and r[2] >= 65536 and r[3] != 'journaler'}
        company[', '.join(sorted(writers)) or 'nothing else'] += 1
    print('  large writes (>= 64 KiB) at the disk during the slow syncs, besides the journal\'s:')
    for writers, count in company.most_common(8):
        print(f'    {count:5d} syncs: {writers}')
    conversions = sum(1 for e in events if e[4] == 'workqueue:workqueue_execute_start'
                      and 'ext4_end_io_rsv_work' in e[5])
    print(f'  ext4 unwritten-extent conversions run by a kernel worker (all processes): {conversions}')


if __name__ == '__main__':
    main()
