package io.metronome.local;

import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.engine.Engine;
import io.metronome.store.MetronomeRepository;

import java.time.Instant;

/**
 * The objects the sample events in {@code events/} refer to, under fixed ids, for user {@value #USER}:
 * <ul>
 *   <li>{@link #METRONOME}: an order flow that asks for approval on orders of 100 or more;</li>
 *   <li>{@link #WAITING_RUN}: a big order, sent on its way (it comes to wait for approval);</li>
 *   <li>{@link #QUEUED_RUN}: queued, its first message deliberately not sent (to pause, resume and cancel);</li>
 *   <li>{@link #WORKER_RUN}: queued, its first message not sent: {@code events/WorkerFunction.json} carries it;</li>
 *   <li>{@link #STRANDED_RUN}: queued, its first message lost: the sweeper ({@code events/SweeperFunction.json},
 *   or the local stack's own sweeps) sends it again once it is overdue;</li>
 *   <li>{@link #WEBHOOK_METRONOME}: a webhook trigger with the secret {@link #WEBHOOK_SECRET}.</li>
 * </ul>
 * Seeding twice (a restart with the same data directory) leaves what is there.
 */
public final class Samples {
    public static final String USER = "demo";
    public static final String API_KEY = "demo-key-123";
    public static final String METRONOME = "met_00000000000000000000000001";
    public static final String VERSION = "ver_00000000000000000000000001";
    public static final String WAITING_RUN = "run_00000000000000000000000001";
    public static final String QUEUED_RUN = "run_00000000000000000000000002";
    public static final String WORKER_RUN = "run_00000000000000000000000003";
    public static final String STRANDED_RUN = "run_00000000000000000000000004";
    /** A metronome with a webhook trigger, and its secret (sample data only: never reuse it). */
    public static final String WEBHOOK_METRONOME = "met_00000000000000000000000002";
    public static final String WEBHOOK_SECRET = "whsec_sample_0000000000000000000000000000000000000000";
    /** A schedule that is due (it missed two fire times), and a metronome listening to {@link #EVENT_SOURCE}. */
    public static final String SCHEDULED_METRONOME = "met_00000000000000000000000003";
    public static final String EVENT_METRONOME = "met_00000000000000000000000004";
    public static final String EVENT_SOURCE = "metronome.events";
    /** A bulk pause whose first page's message is the bulk job function's sample event; its one run id names no run. */
    public static final String BULK_JOB = "blk_00000000000000000000000001";
    public static final String BULK_JOB_RUN = "run_00000000000000000000000099";

    static final String DEFINITION = """
            {"name": "Order fulfilment (sample)", "definition": {
              "nodes": [
                {"id": "total", "type": "transform", "config": {"expression": "$sum(input.items.price)"}},
                {"id": "size", "type": "branch", "config": {"branches": [
                    {"id": "big", "label": "Big order", "condition": "nodes.total >= 100"}]}},
                {"id": "approve", "type": "approval", "config": {"prompt": "Ship an order over 100?"}},
                {"id": "ship", "type": "succeed", "config": {"output": "{'shipped': true, 'total': nodes.total}"}}
              ],
              "edges": [
                {"from": "total", "to": "size"},
                {"id": "needs-approval", "from": "size", "to": "approve", "branchId": "big"},
                {"id": "small-order", "from": "size", "to": "ship", "branchId": "default"},
                {"from": "approve", "to": "ship"}
              ]}}""";

    private Samples() {
    }

    public static void seed(Engine engine) {
        engine.apiKeys.put(API_KEY, USER, Instant.now());
        if (engine.metronomes.find(METRONOME).isPresent()) {
            return;
        }
        Metronome m;
        try {
            m = engine.metronomeService.create(USER, METRONOME, VERSION, Json.read(DEFINITION)).metronome();
        } catch (MetronomeRepository.StaleVersion alreadySeeded) {
            return;
        }
        var bigOrder = Json.read("{\"items\": [{\"price\": 80}, {\"price\": 45}]}");
        engine.runService.startWithId(WAITING_RUN, m, bigOrder, true);
        engine.runService.startWithId(QUEUED_RUN, m, bigOrder, false);
        engine.runService.startWithId(WORKER_RUN, m, Json.read("{\"items\": [{\"price\": 12}]}"), false);
        engine.runService.startWithId(STRANDED_RUN, m, Json.read("{\"items\": [{\"price\": 7}]}"), false, true);
        engine.metronomeService.create(USER, WEBHOOK_METRONOME, "ver_00000000000000000000000002", Json.read(
                DEFINITION.replace("Order fulfilment (sample)", "Order webhook (sample)")
                        .replace("{\"name\"", "{\"trigger\": {\"type\": \"webhook\"}, \"name\"")));
        engine.metronomes.rotateSecret(WEBHOOK_METRONOME, WEBHOOK_SECRET, Instant.now());
        Metronome scheduled = engine.metronomeService.create(USER, SCHEDULED_METRONOME, "ver_00000000000000000000000003",
                Json.read(DEFINITION.replace("{\"name\"", "{\"trigger\": {\"type\": \"schedule\", \"expression\": "
                        + "\"rate(1 hour)\", \"input\": {\"items\": [{\"price\": 5}]}}, \"name\""))).metronome();
        engine.metronomes.advanceSchedule(SCHEDULED_METRONOME, scheduled.nextFireAt(),
                scheduled.nextFireAt().minus(java.time.Duration.ofHours(3)));
        engine.metronomeService.create(USER, EVENT_METRONOME, "ver_00000000000000000000000004", Json.read(DEFINITION
                .replace("{\"name\"", "{\"trigger\": {\"type\": \"event\", \"source\": \"" + EVENT_SOURCE
                        + "\", \"detailType\": \"Order Placed\"}, \"name\"")));
        engine.bulkJobs.startWithId(BULK_JOB, USER, "pause", Json.read("{\"runIds\": [\"" + BULK_JOB_RUN
                + "\"], \"reason\": \"sample\"}"));
    }
}
