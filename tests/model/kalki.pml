/*
 * KalkiEdge's control loop and data-plane handoff for one device, as Promela for Spin.
 *
 * Processes: Device raises alerts into its bounded lane (AlertQueue: a full lane coalesces the alert into one
 * already queued); Controller takes them one at a time (SecurityController), evaluates the policy over the
 * alert history (PolicyEngine: a rule never counts an alert it already acted on), and deploys the next state's
 * image make-before-break (ChainDeployer: attest, then swap under the device's gate, or block-all when the
 * attestation fails); Capture runs frames under the same gate with the chain read once (PacketEngine and
 * DeviceSlot), and the egress check accepts a frame tagged by the chain in force or the one just before it.
 *
 * Mutants (compile with -D...): each removes one mechanism, and check.sh requires the property it protects to
 * fail, so the properties are shown to be able to fail.
 *   NOGATE         the capture thread does not hold the device's gate while it runs a chain
 *   SWAP_FIRST     the new image is swapped in before its attestation result is known
 *   NO_ACTED_SET   the policy forgets which alerts a rule already acted on
 *   DROP_WHEN_FULL a full lane drops the alert instead of coalescing it
 */

#define NALERTS 3
#define NONE 0
#define BLOCKALL 9
#define MAXSTATE 2

byte current = 1;        /* image in force: Normal's */
byte previous = 1;       /* the one before the last swap */
bool gate = false;       /* DeviceSlot's gate */
byte state = 0;          /* Normal */
bool unattested[10];    /* ghost: images whose latest attestation failed or is pending (Normal's passed at load) */
bool swapWaiting = false; /* a swap waits for the gate */
bool wrongChain = false;
byte fired[NALERTS];     /* how often a rule acted on alert i */
bool raised[NALERTS];
bool handled[NALERTS];
bool history[NALERTS];
bool acted[NALERTS];
chan lane = [1] of { byte };
byte carry = 0;          /* bit i: alert i was coalesced into the queued alert (its count) */

/*
 * The gate is modelled as handing itself to a waiting swap before the next frame takes it (the capture thread
 * checks swapWaiting): a swap waits for at most the frame in flight. Without that, the liveness property holds
 * only if frames ever pause, which on a busy link they need not.
 */
inline swapLock() { swapWaiting = true; atomic { !gate -> gate = true; swapWaiting = false } }
inline unlock() { gate = false }

active proctype Device()
{
    byte i = 0;
    do
    :: i < NALERTS ->
        atomic {
            raised[i] = true;
            if
            :: nfull(lane) -> lane ! i
            :: full(lane) ->
#ifdef DROP_WHEN_FULL
                skip
#else
                carry = carry | (1 << i)
#endif
            fi;
            i++
        }
    :: else -> break
    od
}

active proctype Controller()
{
    byte a, c, h, next, img;
    bool ok, fire;
    do
    :: atomic { lane ? a -> c = carry; carry = 0 } /* the queued alert with what was coalesced into it */
        history[a] = true;
        h = 0;
        do
        :: h < NALERTS -> if :: c & (1 << h) -> history[h] = true :: else -> skip fi; h++
        :: else -> break
        od;
        /* the policy: fire when the history holds an alert this rule has not acted on */
        fire = false;
        h = 0;
        do
        :: h < NALERTS ->
            if
#ifdef NO_ACTED_SET
            :: history[h] -> fire = true; fired[h]++
#else
            :: history[h] && !acted[h] -> fire = true; fired[h]++; acted[h] = true
#endif
            :: else -> skip
            fi;
            h++
        :: else -> break
        od;
        if
        :: fire && state < MAXSTATE ->
            next = state + 1;
            img = next + 1;
            unattested[img] = true;
#ifdef SWAP_FIRST
            swapLock(); previous = current; current = img; unlock();
#endif
            if                                  /* attestation: a match, or a measurement mismatch */
            :: ok = true; unattested[img] = false
            :: ok = false
            fi;
            swapLock();
            previous = current;
            if
            :: ok -> current = img; state = next
            :: else -> current = BLOCKALL       /* fail closed */
            fi;
            unlock()
        :: else -> skip                         /* no rule fired, or no stricter state: nothing to deploy */
        fi;
        handled[a] = true;
        h = 0;
        do
        :: h < NALERTS -> if :: c & (1 << h) -> handled[h] = true :: else -> skip fi; h++
        :: else -> break
        od
    od
}

active proctype Capture()
{
    byte seen;
    do
    ::
#ifndef NOGATE
        atomic { !gate && !swapWaiting -> gate = true };
#endif
        seen = current;                         /* the chain is read once per frame */
        if                                      /* its elements run: a swap may try to happen meanwhile */
        :: skip
        :: skip
        fi;
        if
        :: seen != current && seen != previous -> wrongChain = true
        :: else -> skip
        fi
#ifndef NOGATE
        ; unlock()
#endif
    od
}

ltl defended    { [] (current != NONE) }
ltl handoff     { [] !wrongChain }
ltl attested    { [] (current == BLOCKALL || !unattested[current]) }
ltl once        { [] (fired[0] <= 1 && fired[1] <= 1 && fired[2] <= 1) }
ltl eventually  { [] ((raised[0] -> <> handled[0]) && (raised[1] -> <> handled[1]) && (raised[2] -> <> handled[2])) }
