package io.metronome.egress;

import java.io.IOException;

/** A request the egress policy did not let out; the message says why. Retrying cannot help. */
public final class EgressRefusedException extends IOException {
    public EgressRefusedException(String reason) {
        super(reason);
    }
}
