#include "daemon/process_metrics.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/prom.h"

/* From /proc/self/stat: start time (clock ticks after boot), virtual size (bytes), resident
 * set (pages). The command name (field 2) may hold spaces and parentheses: fields are counted
 * after its last ')'. */
static bool read_stat(unsigned long long *start_ticks, unsigned long long *vsize, long *rss)
{
    char buf[2048];
    FILE *f = fopen("/proc/self/stat", "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p)
        return false;
    /* after ')': field 3 (state) is the first; starttime is 22, vsize 23, rss 24 */
    int field = 2;
    char *save = NULL;
    for (char *tok = strtok_r(p + 1, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        field++;
        if (field == 22)
            *start_ticks = strtoull(tok, NULL, 10);
        else if (field == 23)
            *vsize = strtoull(tok, NULL, 10);
        else if (field == 24) {
            *rss = strtol(tok, NULL, 10);
            return true;
        }
    }
    return false;
}

/* The boot time, seconds since the epoch (btime of /proc/stat); 0 when unknown. */
static long long boot_time(void)
{
    FILE *f = fopen("/proc/stat", "re");
    char line[256];
    long long btime = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "btime ", 6)) {
            btime = strtoll(line + 6, NULL, 10);
            break;
        }
    if (f)
        fclose(f);
    return btime;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    long n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

void a0ipc_process_metrics_write(FILE *out)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        a0ipc_prom_family(out, "process_cpu_seconds_total", "counter",
                          "Total user and system CPU time spent in seconds.");
        double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                     (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
        fprintf(out, "process_cpu_seconds_total %.6f\n", cpu);
    }
    unsigned long long start_ticks = 0, vsize = 0;
    long rss = 0, ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
    if (read_stat(&start_ticks, &vsize, &rss)) {
        a0ipc_prom_family(out, "process_resident_memory_bytes", "gauge",
                          "Resident memory size in bytes.");
        fprintf(out, "process_resident_memory_bytes %lld\n", (long long)rss * page);
        a0ipc_prom_family(out, "process_virtual_memory_bytes", "gauge",
                          "Virtual memory size in bytes.");
        fprintf(out, "process_virtual_memory_bytes %llu\n", vsize);
        long long btime = boot_time();
        if (btime > 0 && ticks > 0) {
            a0ipc_prom_family(out, "process_start_time_seconds", "gauge",
                              "Start time of the process since unix epoch in seconds.");
            fprintf(out, "process_start_time_seconds %.2f\n",
                    (double)btime + (double)start_ticks / (double)ticks);
        }
    }
    long fds = open_fds();
    if (fds >= 0) {
        a0ipc_prom_family(out, "process_open_fds", "gauge", "Number of open file descriptors.");
        fprintf(out, "process_open_fds %ld\n", fds);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        a0ipc_prom_family(out, "process_max_fds", "gauge",
                          "Maximum number of open file descriptors.");
        if (rl.rlim_cur == RLIM_INFINITY)
            fprintf(out, "process_max_fds +Inf\n");
        else
            fprintf(out, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
}
