/*
 * hal.h - the hardware abstraction of a pump channel: what pumpd needs from a pump's hardware.
 *
 * The core never touches hardware (it takes time and sensor readings as inputs and leaves its
 * outputs in its struct); the runner moves data between the core and this interface. A HAL is a
 * table of operations over an opaque context, so the same runner drives the simulated hardware
 * (hal_sim.h) and, one day, a real board. Every quantity carries its unit in its name:
 * nanolitres (nl), milliseconds (ms), mmHg, millivolts (mv), percent (pct).
 *
 *   motor      commanded rate in nL/h (0 = stopped) with an optional step budget after which the
 *              motor controller stops by itself (so a VTBI ends on the right step whatever the
 *              control loop's period), a cumulative count of steps actually done, the volume of
 *              one step; a pressure-relief back-off; an encoder that notices a stall
 *   pressure   downstream and upstream line pressure, mmHg (gauge: 0 = atmosphere)
 *   air        air volume seen passing the ultrasonic sensor since the previous reading
 *   battery    charge (percent and terminal voltage), whether mains power is present
 *   door       open or closed
 *   clock      monotonic milliseconds since the pump started
 *
 * Delivered volume is what the motor did (steps x step volume), never what was asked: a stalled
 * or slow motor shows up as missing steps.
 */
#ifndef PUMPD_HAL_H
#define PUMPD_HAL_H

#include <stdbool.h>
#include <stdint.h>

#define HAL_NO_STEP_LIMIT UINT64_MAX

/* One reading of every sensor, taken together. */
struct hal_sensors {
    int32_t pressure_down_mmhg; /* downstream (patient side) */
    int32_t pressure_up_mmhg;   /* upstream (container side); negative when the line is sucked */
    uint32_t air_nl;            /* air seen by the sensor since the previous reading */
    uint32_t air_bubble_nl;     /* largest single bubble among it */
    uint32_t battery_pct;       /* 0..100 */
    uint32_t battery_mv;
    bool on_mains;
    bool door_open;
    bool motor_stalled; /* the encoder saw no movement while steps were commanded */
    bool container_empty; /* the upstream empty-container detector */
};

struct hal_ops {
    /* Run the motor at rate_nl_per_h (0 stops it) for at most max_steps more steps
     * (HAL_NO_STEP_LIMIT: no limit). Takes effect from the current time. */
    void (*motor_command)(void *ctx, uint64_t rate_nl_per_h, uint64_t max_steps);
    /* Back the motor off to relieve trapped downstream pressure (after an occlusion, before
     * delivery may resume): never pushes fluid towards the patient. */
    void (*motor_relieve)(void *ctx);
    /* Cumulative motor steps done towards the patient since the hardware started. */
    uint64_t (*motor_steps)(void *ctx);
    /* Volume one motor step moves, nanolitres (the motor's resolution). */
    uint32_t (*motor_step_nl)(void *ctx);
    void (*read_sensors)(void *ctx, struct hal_sensors *out);
    /* Monotonic time since start, milliseconds. */
    uint64_t (*now_ms)(void *ctx);
};

struct hal {
    const struct hal_ops *ops;
    void *ctx;
};

#endif
