#include "cli/progress.h"

#include <unistd.h>

#include "common/clock.h"

static double now(void)
{
    return (double)a0ipc_mono_ns() / 1e9;
}

void a0ipc_format_bytes(char *buf, size_t cap, double bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
    if (bytes < 1024) {
        snprintf(buf, cap, "%.0f B", bytes);
        return;
    }
    int u = 0;
    for (bytes /= 1024; bytes >= 1024 && u < 3; u++)
        bytes /= 1024;
    snprintf(buf, cap, u >= 2 ? "%.2f %s" : "%.1f %s", bytes, units[u]);
}

void a0ipc_progress_start(a0ipc_progress *p, bool on, const char *what, uint64_t total)
{
    *p = (a0ipc_progress){.on = on && isatty(STDERR_FILENO),
                          .what = what,
                          .total = total,
                          .start = now(),
                          .out = stderr};
}

static void draw(a0ipc_progress *p, double t)
{
    double elapsed = t - p->start, rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    char done[32], total[32], speed[32];
    a0ipc_format_bytes(done, sizeof done, (double)p->done);
    a0ipc_format_bytes(speed, sizeof speed, rate);
    fprintf(p->out, "\r%s: %s", p->what, done);
    if (p->total) {
        a0ipc_format_bytes(total, sizeof total, (double)p->total);
        fprintf(p->out, " / %s (%3d%%)", total, (int)(p->done * 100 / p->total));
    }
    fprintf(p->out, "  %s/s", speed);
    if (p->total && rate > 0 && p->done < p->total) {
        long eta = (long)((double)(p->total - p->done) / rate + 0.5);
        fprintf(p->out, "  ETA %ld:%02ld", eta / 60, eta % 60);
    }
    fputs("\033[K", p->out);
    fflush(p->out);
    p->last_draw = t;
}

void a0ipc_progress_add(a0ipc_progress *p, uint64_t n)
{
    p->done += n;
    if (!p->on)
        return;
    double t = now();
    if (t - p->last_draw >= 0.1)
        draw(p, t);
}

void a0ipc_progress_end(a0ipc_progress *p, bool ok)
{
    if (!p->on)
        return;
    double elapsed = now() - p->start;
    fputs("\r\033[K", p->out);
    if (ok) {
        char done[32], speed[32];
        a0ipc_format_bytes(done, sizeof done, (double)p->done);
        a0ipc_format_bytes(speed, sizeof speed, elapsed > 0 ? (double)p->done / elapsed : 0);
        fprintf(p->out, "%s: %s in %.1f s (%s/s)\n", p->what, done, elapsed, speed);
    }
    fflush(p->out);
}
