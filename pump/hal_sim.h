/*
 * hal_sim.h - simulated pump hardware behind the HAL (hal.h), with fault injection.
 *
 * Models, all in integers and advanced only by hal_sim_advance() (simulated time, so a run is
 * deterministic; the only randomness is the sensor noise, from the seed given to hal_sim_init):
 *
 *   motor     a stepper: one step moves step_nl nanolitres. The commanded rate is turned into
 *             whole steps with the fractional remainder carried, so over any run the delivered
 *             volume is the commanded volume to within one step. Capped at max_rate_nl_per_h.
 *             A stall fault stops the steps (the encoder flags it while steps are commanded).
 *   downstream pressure  base + flow x line resistance + trapped volume / line compliance. While
 *             the line is occluded every step is trapped in the compliant tubing, so pressure
 *             rises at a rate proportional to the flow: at the defaults (1 uL per mmHg) 500 mmHg
 *             takes about half an hour at 1 mL/h and about 70 s at 25 mL/h, as on real pumps.
 *             When the occlusion clears, the trapped volume drains to the patient (an unintended
 *             bolus) with a time constant, unless the motor relieved it first (motor_relieve:
 *             the mechanism backs off at relief_nl_per_s and the trapped volume returns
 *             upstream; it takes about a second, during which resuming is refused).
 *   upstream pressure  the container's head height; with the upstream line occluded the motor
 *             draws a vacuum: pressure falls by the volume drawn / upstream compliance.
 *   air       bubbles queued in the line above the sensor, each passing when the motor has moved
 *             the fluid ahead of it; an empty container sends air with every step.
 *   container optional volume; emptied by the steps (then air follows).
 *   battery   charge in microamp-hours: a base draw plus a draw per mL/h of motor rate; charges
 *             on mains. Percent and a terminal voltage (3300 mV empty .. 4200 mV full).
 *   door      open or closed.
 */
#ifndef PUMPD_HAL_SIM_H
#define PUMPD_HAL_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "hal.h"

#define HAL_SIM_MAX_BUBBLES 64

struct hal_sim_config {
    uint32_t step_nl;                 /* volume per motor step (default 500 nL: 2000 steps/mL) */
    uint64_t max_rate_nl_per_h;       /* fastest motor rate (default 1,200 mL/h) */
    int32_t base_down_mmhg;           /* downstream pressure of an open line at no flow (5) */
    uint32_t resistance_mmhg_per_l_h; /* downstream rise per L/h of flow in an open line (20) */
    uint32_t compliance_down_nl_per_mmhg; /* downstream tubing compliance (1000) */
    uint32_t drain_tau_ms;            /* time constant of trapped volume draining (3000) */
    uint32_t relief_nl_per_s;         /* how fast motor_relieve backs the trapped volume off
                                         (500 uL/s: 600 mmHg in about 1.2 s) */
    int32_t base_up_mmhg;             /* upstream pressure from the container's height (30) */
    uint32_t compliance_up_nl_per_mmhg;   /* upstream compliance (200) */
    int32_t vacuum_mmhg;              /* lowest upstream pressure (-700) */
    uint32_t noise_mmhg;              /* +/- uniform sensor noise on both pressures (1) */
    uint64_t container_nl;            /* 0: unlimited (not modelled) */
    uint64_t battery_capacity_uah;    /* 2,000 mAh */
    uint32_t battery_pct;             /* charge at start (100) */
    uint32_t draw_base_ua;            /* electronics, display (60 mA) */
    uint32_t draw_ua_per_ml_h;        /* motor (100 uA per mL/h) */
    uint32_t charge_ua;               /* charging current on mains (500 mA) */
    bool on_mains;                    /* at start (true) */
};

typedef enum {
    HAL_FAULT_OCCLUSION_DOWN = 0, /* downstream line clamped/kinked */
    HAL_FAULT_OCCLUSION_UP,       /* upstream line clamped, closed roller clamp */
    HAL_FAULT_AIR,                /* bubbles: bubble_nl each, count, spacing_nl of fluid apart,
                                     the first after distance_nl of fluid */
    HAL_FAULT_CONTAINER_EMPTY,    /* the container runs dry now */
    HAL_FAULT_BATTERY,            /* battery charge set to pct */
    HAL_FAULT_MAINS_LOST,         /* unplugged (cleared: plugged back in) */
    HAL_FAULT_DOOR_OPEN,
    HAL_FAULT_STALL,              /* the motor stops moving whatever it is told */
    HAL_FAULT_COUNT
} hal_fault_kind;

struct hal_fault {
    uint8_t kind; /* hal_fault_kind */
    bool clear;   /* true: the fault ends (occlusion cleared, door closed, mains back ...) */
    uint32_t bubble_nl;
    uint32_t count;
    uint64_t spacing_nl;
    uint64_t distance_nl;
    uint32_t pct;
};

struct hal_sim_bubble {
    uint64_t at_nl; /* fluid still to pass the sensor before this bubble */
    uint32_t size_nl;
};

/* Read-only for callers (expectations and diagnostics read it); changed by the functions below. */
struct hal_sim {
    struct hal_sim_config cfg;
    uint64_t now_ms;
    uint64_t rng;

    uint64_t rate_nl_per_h; /* commanded, after the cap */
    uint64_t steps_left;    /* step budget of the current command (HAL_NO_STEP_LIMIT: none) */
    uint64_t step_acc;      /* remainder of rate x time not yet a whole step, nL*ms/h */
    uint64_t steps;         /* cumulative steps done */
    uint64_t last_flow_nl_per_h; /* flow over the last advance (the rate while steps happened;
                                    for the resistance term) */

    bool occl_down;
    bool occl_up;
    bool stall;
    bool door_open;
    bool on_mains;
    bool container_empty;
    bool relieving; /* motor_relieve asked: backing off until nothing is trapped */

    uint64_t trapped_nl;   /* volume pushed into the occluded downstream line */
    uint64_t drawn_up_nl;  /* volume drawn against the occluded upstream line */
    uint64_t relieved_nl;  /* trapped volume returned upstream by motor_relieve */
    uint64_t patient_nl;   /* volume that reached the patient */
    uint64_t bolus_nl;     /* trapped volume that reached the patient after an occlusion cleared */
    uint64_t container_used_nl;

    struct hal_sim_bubble bubbles[HAL_SIM_MAX_BUBBLES];
    uint32_t n_bubbles;
    uint64_t air_pending_nl; /* seen by the sensor, not read yet */
    uint32_t air_pending_max_nl; /* largest bubble among it */
    uint64_t air_total_nl;   /* all air that passed the sensor */

    uint64_t battery_uah;
    uint64_t drain_frac; /* sub-microamp-hour remainder, uA*ms */
};

/* The defaults described above. */
void hal_sim_config_default(struct hal_sim_config *cfg);

/*
 * hal_sim_init - the hardware at time 0: motor stopped, no faults. cfg is copied; a zero step_nl
 * or max rate is replaced by the default. seed drives the sensor noise only.
 */
void hal_sim_init(struct hal_sim *s, const struct hal_sim_config *cfg, uint64_t seed);

/* The HAL over this simulation (s must outlive it). */
struct hal hal_sim_hal(struct hal_sim *s);

/* Move simulated time forward by dt_ms: the motor steps, pressures, air, container, battery. */
void hal_sim_advance(struct hal_sim *s, uint64_t dt_ms);

/* Milliseconds until the motor, at its current rate and unhindered, completes `steps` more steps
 * (rounded up, ignoring the step budget); UINT64_MAX when it is stopped or stalled. */
uint64_t hal_sim_ms_until_steps(const struct hal_sim *s, uint64_t steps);

/* Inject or clear a fault now. Returns false for an unknown kind, or when the bubble queue is
 * full (the bubbles that fit are queued). */
bool hal_sim_fault(struct hal_sim *s, const struct hal_fault *f);

/* Static names: "occlusion_downstream", "air" ...; NULL for an unknown kind. */
const char *hal_fault_kind_str(hal_fault_kind k);
/* Parse a name; false when unknown. */
bool hal_fault_kind_parse(const char *name, hal_fault_kind *out);

/* The same readings the HAL gives, without consuming the air seen (for diagnostics). */
void hal_sim_peek(const struct hal_sim *s, struct hal_sensors *out);

#endif
