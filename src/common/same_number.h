/* Enums that mirror another enum (most often a proto enum) keep its numbers, so that a cast
 * converts between them. A0IPC_SAME_NUMBER checks one mirrored value at compile time; it goes
 * next to the cast, one for every value, so that a value added or renumbered on one side stops
 * the build instead of silently meaning something else. */
#ifndef A0IPC_COMMON_SAME_NUMBER_H
#define A0IPC_COMMON_SAME_NUMBER_H

#define A0IPC_SAME_NUMBER(ours, theirs)                                                            \
    _Static_assert((long long)(ours) == (long long)(theirs), #ours " must equal " #theirs)

#endif
