/* timeline.c -- CKPTRANK_TIMELINE: phase and item events, kept in memory
 * while the run goes (so that writing them does not perturb what they
 * measure) and printed on stderr at its end. */
#include "sched/timeline.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENT_TEXT 112
#define EVENTS_MAX 100000

typedef struct event {
    struct timespec ts;
    int rank;
    char text[EVENT_TEXT];
} event;

static pthread_mutex_t tl_lock = PTHREAD_MUTEX_INITIALIZER;
static event *events;
static size_t n_events, n_lost;

int ckr_timeline_on(void)
{
    static int on = -1; /* racy first read is harmless: every thread computes the same */
    if (on < 0) {
        const char *v = getenv("CKPTRANK_TIMELINE");
        on = v && v[0] && strcmp(v, "0") != 0;
    }
    return on;
}

void ckr_timeline_mark(int rank, const char *fmt, ...)
{
    if (!ckr_timeline_on())
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    pthread_mutex_lock(&tl_lock);
    if (!events)
        events = malloc(EVENTS_MAX * sizeof *events);
    if (!events || n_events == EVENTS_MAX) {
        n_lost++;
    } else {
        event *e = &events[n_events++];
        e->ts = ts;
        e->rank = rank;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->text, sizeof e->text, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&tl_lock);
}

void ckr_timeline_flush(int rank)
{
    pthread_mutex_lock(&tl_lock);
    const char *v = getenv("CKPTRANK_TIMELINE");
    FILE *f = stderr;
    if (v && strcmp(v, "1") != 0 && strcmp(v, "0") != 0 && v[0]) {
        /* a path prefix: this rank's own file (mpirun forwards the ranks'
         * stderr in pieces that may cut lines) */
        char path[4096];
        snprintf(path, sizeof path, "%s.%d", v, rank);
        f = fopen(path, "w");
        if (!f)
            f = stderr;
    }
    for (size_t i = 0; i < n_events; i++)
        fprintf(f, "ckptrank-timeline: rank %d %lld.%06ld %s\n", events[i].rank,
                (long long)events[i].ts.tv_sec, events[i].ts.tv_nsec / 1000, events[i].text);
    if (n_lost)
        fprintf(f, "ckptrank-timeline: %zu events lost (over %d)\n", n_lost, EVENTS_MAX);
    if (f != stderr)
        fclose(f);
    else
        fflush(stderr);
    free(events);
    events = NULL;
    n_events = n_lost = 0;
    pthread_mutex_unlock(&tl_lock);
}
