package io.metronome.engine.nodes;

import com.fasterxml.jackson.databind.JsonNode;
import io.metronome.domain.Run.BranchDecision;

import java.time.Instant;
import java.util.List;

/** What running a node came to. The worker turns each into one conditional write. */
public sealed interface Outcome {
    /** The node completed with an output; for a branch, the decisions it evaluated and the branch it chose. */
    record Done(JsonNode output, JsonNode metadata, List<BranchDecision> decisions) implements Outcome {
        public Done(JsonNode output, JsonNode metadata) {
            this(output, metadata, List.of());
        }
    }

    /**
     * A delay that is not due yet: the node waits, holding no worker, until {@code dueAt}; {@code metadata} its
     * step's while it waits (null: the due time only).
     */
    record Wait(Instant dueAt, JsonNode metadata) implements Outcome {
        public Wait(Instant dueAt) {
            this(dueAt, null);
        }
    }

    /** Waiting on work elsewhere (a Step Functions execution): look again at {@code dueAt}, holding no worker. */
    record Poll(Instant dueAt, JsonNode metadata) implements Outcome {
    }

    /** An approval node waiting for a decision. */
    record AwaitApproval(String prompt) implements Outcome {
    }

    /** The attempt failed; a retryable failure is tried again while the node has attempts left. */
    record Failed(String error, boolean retryable, JsonNode metadata) implements Outcome {
    }

    /** A map node's elements: the worker stores them and starts the children. */
    record StartMap(JsonNode elements) implements Outcome {
    }

    /** A succeed or fail node: the run ends here, completed with {@code output} or failed with {@code error}. */
    record EndRun(boolean succeeded, JsonNode output, String error) implements Outcome {
    }
}
