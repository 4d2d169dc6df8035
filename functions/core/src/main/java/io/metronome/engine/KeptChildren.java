package io.metronome.engine;

import io.metronome.domain.Run;
import io.metronome.store.RunData;

import java.util.BitSet;
import java.util.function.IntPredicate;

/**
 * Which children of a map in a redriven run completed in an earlier pass: those with a stored output (a child's
 * output is stored, even a null one, before the write that completes it, and only then). Looked up a range of
 * keys at a time as a top-up walks the map's elements, and remembered for the retries of one write, so each child
 * is looked up about once per pass whatever the map's size. In a run never redriven no child can have completed
 * before its map started it, and nothing is read.
 */
final class KeptChildren implements IntPredicate {
    /**
     * Children the first lookup covers: a top-up usually needs the next few only (a child ended, one slot is
     * free), and a read costs the size of the outputs it finds, which the next top-up reads again. A long walk
     * past kept children doubles its ranges, up to {@link #MAX_PAGE}.
     */
    static final int FIRST_PAGE = 8;
    static final int MAX_PAGE = 128;

    private final RunData data;
    private final String runId;
    private final String mapId;
    private final int total;
    private final BitSet looked = new BitSet();
    private final BitSet kept = new BitSet();
    private int page = FIRST_PAGE;

    private KeptChildren(RunData data, String runId, String mapId, int total) {
        this.data = data;
        this.runId = runId;
        this.mapId = mapId;
        this.total = total;
    }

    static IntPredicate of(RunData data, Run run, String mapId, int total) {
        return run.lineage().redriveCount() > 0 ? new KeptChildren(data, run.id(), mapId, total) : MapProgress.NONE_KEPT;
    }

    /** The kept children from {@code from} (inclusive) to {@code to} (exclusive), read at once; none unless redriven. */
    static BitSet inRange(RunData data, Run run, String mapId, int from, int to) {
        return run.lineage().redriveCount() > 0 ? data.childrenWithOutput(run.id(), mapId, from, to) : new BitSet();
    }

    @Override
    public boolean test(int index) {
        if (!looked.get(index)) {
            int to = Math.min(total, index + page);
            kept.or(data.childrenWithOutput(runId, mapId, index, to));
            looked.set(index, to);
            page = Math.min(MAX_PAGE, page * 2);
        }
        return kept.get(index);
    }
}
