/*
 * metrics.c - power-of-two latency histograms (metrics.h).
 */
#include "metrics.h"

void srv_hist_add(struct srv_hist *h, uint64_t us)
{
    unsigned i = 0;
    while (i + 1 < SRV_HIST_BUCKETS && us >= (1ULL << i)) {
        i++;
    }
    h->bucket[i]++;
    h->count++;
    h->sum_us += us;
}

uint64_t srv_hist_quantile_us(const struct srv_hist *h, double q)
{
    if (h->count == 0) {
        return 0;
    }
    /* The sample of rank ceil(q * count), 1-based. */
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if ((double)rank < q * (double)h->count) {
        rank++;
    }
    if (rank == 0) {
        rank = 1;
    }
    uint64_t seen = 0;
    for (unsigned i = 0; i < SRV_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= rank) {
            return 1ULL << i;
        }
    }
    return 1ULL << (SRV_HIST_BUCKETS - 1);
}
