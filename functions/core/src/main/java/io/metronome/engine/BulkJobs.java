package io.metronome.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.ApiException;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.Metronome;
import io.metronome.domain.Run;
import io.metronome.store.AuditRepository;
import io.metronome.store.BulkJobRepository;
import io.metronome.store.BulkJobRepository.Job;
import io.metronome.store.BulkJobRepository.Result;
import io.metronome.store.Cursors;
import io.metronome.store.MetronomeRepository;
import io.metronome.store.RunRepository;
import software.amazon.awssdk.services.sqs.SqsClient;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bulk pause, resume and cancel. A dry run answers how many runs the request names and the first of them. A real
 * request is a job worked through in the background, a page of runs per message on the bulk queue: each page's
 * runs get the single-run operation of {@link RunService} (conditional and audited, here with the job's id), and
 * a result each, recorded once; then the job moves on to the next page (only from the page it is at) and sends
 * its message. A message delivered twice, or again after a crash, finds the results already there and acts on no
 * run a second time.
 */
public final class BulkJobs {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BulkJobs.class);
    public static final String PREFIX = "blk_";
    /** Runs per message: one message's work stays far inside a Lambda's time (a run's operation is a few calls). */
    public static final int PAGE = 25;
    /** A dry run looks at no more than this many runs; past it, its count says so ({@code countCapped}). */
    public static final int DRY_RUN_MAX_RUNS = 10_000;
    public static final int DRY_RUN_IDS = 20;
    /** Run ids are ULIDs of the clock that also stamps createdAt; the id range is widened by this, and the filter decides. */
    private static final Duration ID_MARGIN = Duration.ofSeconds(1);

    private final RunService runService;
    private final RunRepository runs;
    private final MetronomeRepository metronomes;
    private final AuditRepository audit;
    private final BulkJobRepository jobs;
    private final SqsClient sqs;
    private final String queueUrl;
    private final Clock clock;

    public BulkJobs(RunService runService, RunRepository runs, MetronomeRepository metronomes, AuditRepository audit,
                    BulkJobRepository jobs, SqsClient sqs, String queueUrl, Clock clock) {
        this.runService = runService;
        this.runs = runs;
        this.metronomes = metronomes;
        this.audit = audit;
        this.jobs = jobs;
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.clock = clock;
    }

    /** @param capped true when the dry run stopped counting at {@link #DRY_RUN_MAX_RUNS} runs looked at */
    public record DryRun(BulkRequest.Action action, long count, boolean capped, List<String> firstRunIds) {
    }

    public record JobView(Job job, List<Result> results, String nextCursor) {
    }

    /** A dry run's answer, or the job a real request started (its first page's message sent). */
    public Object submit(String userId, String action, JsonNode body) {
        BulkRequest request = BulkRequest.parse(action, body);
        if (request.filter() != null && request.filter().metronomeId() != null) {
            ownedMetronome(userId, request.filter().metronomeId());
        }
        if (request.dryRun()) {
            return dryRun(userId, request);
        }
        Job job = create(Ids.next(PREFIX), userId, request);
        send(job.id(), 0);
        jobs.sent(job.id(), 0);
        LOG.info("bulk job {} ({}) started by {}", job.id(), job.action(), userId);
        return jobs.find(job.id()).orElseThrow();
    }

    /**
     * Creates a job under a given id without sending its first page's message: for sample data that files in
     * {@code events/} refer to by id. Not reachable through the API.
     */
    public Job startWithId(String jobId, String userId, String action, JsonNode body) {
        return create(jobId, userId, BulkRequest.parse(action, body));
    }

    private Job create(String jobId, String userId, BulkRequest request) {
        if (queueUrl == null) {
            throw new IllegalStateException("BULK_QUEUE_URL is not set");
        }
        Instant now = clock.instant();
        ObjectNode spec = Json.object();
        spec.put("action", request.action().wire());
        if (request.filter() != null) {
            // The runs the job reaches are those that exist when it starts, never the ones started while it works.
            spec.set("filter", request.filter().until(now).toJson());
        } else {
            request.runIds().forEach(spec.putArray("runIds")::add);
        }
        spec.put("reason", request.reason());
        Job job = new Job(jobId, userId, request.action().wire(), spec, "running", 0, -1, null, Map.of(), now, null, now, 0);
        jobs.create(job);
        return job;
    }

    private DryRun dryRun(String userId, BulkRequest request) {
        ObjectNode spec = Json.object();
        if (request.filter() != null) {
            spec.set("filter", request.filter().toJson());
        } else {
            request.runIds().forEach(spec.putArray("runIds")::add);
        }
        BulkCursor cursor = BulkCursor.START;
        long count = 0;
        int looked = 0;
        List<String> first = new ArrayList<>();
        // Bounded twice: by the runs looked at, and by the pages read (a user's metronomes without runs are pages too).
        for (int pages = 0; cursor != null && looked < DRY_RUN_MAX_RUNS && pages < DRY_RUN_MAX_RUNS / 10; pages++) {
            Page page = read(userId, spec, cursor, 100);
            looked += page.examined();
            for (Run r : page.runs()) {
                count++;
                if (first.size() < DRY_RUN_IDS) {
                    first.add(r.id());
                }
            }
            cursor = page.next();
        }
        return new DryRun(request.action(), count, cursor != null, first);
    }

    /** The caller's job with a page of its per-run results (in run id order); 404 for anyone else's. */
    public JobView get(String userId, String jobId, Integer limit, String cursor) {
        int pageSize = limit == null ? 100 : limit;
        if (pageSize < 1 || pageSize > 1000) {
            throw ApiException.validation("limit", "must be an integer from 1 to 1000");
        }
        if (cursor != null && !Ids.isValid(Ids.RUN, cursor)) {
            throw ApiException.validation("cursor", "is not a cursor from this list");
        }
        if (!Ids.isValid(PREFIX, jobId)) {
            throw ApiException.notFound("bulk job");
        }
        Job job = jobs.find(jobId).filter(j -> j.userId().equals(userId))
                .orElseThrow(() -> ApiException.notFound("bulk job"));
        BulkJobRepository.ResultPage page = jobs.results(jobId, cursor, pageSize);
        return new JobView(job, page.results(), page.lastRunId());
    }

    // ---------------------------------------------------------------- the background work

    public static String message(String jobId, long page) {
        return Json.object().put("jobId", jobId).put("page", page).toString();
    }

    /**
     * Handles one message of the bulk queue: the page it names, if the job is at that page. A message for a page
     * the job has passed is a repeat, except that it sends the job's current page's message when that was never
     * sent (a handler stopped between moving the job on and sending).
     *
     * @throws IllegalArgumentException for a body that is no bulk message (it goes to the dead-letter queue)
     */
    public void handle(String body) {
        JsonNode m = Json.read(body);
        if (!m.path("jobId").isTextual() || !m.path("page").canConvertToLong()) {
            throw new IllegalArgumentException("not a bulk job message: " + body);
        }
        String jobId = m.get("jobId").asText();
        long page = m.get("page").asLong();
        Job job = jobs.find(jobId).orElse(null);
        if (job == null || job.completed()) {
            return;
        }
        if (page < job.page()) {
            if (job.sentPage() < job.page()) {
                send(jobId, job.page());
                jobs.sent(jobId, job.page());
            }
            return;
        }
        if (page > job.page()) {
            LOG.warn("bulk job {} got a message for page {} while at page {}; dropped", jobId, page, job.page());
            return;
        }
        Page runsOfPage = read(job.userId(), job.spec(), BulkCursor.fromJson(job.cursor()), PAGE);
        List<String> ids = new ArrayList<>(runsOfPage.runs().stream().map(Run::id).toList());
        ids.addAll(runsOfPage.missing());
        Map<String, Result> done = jobs.results(jobId, ids);
        for (Run run : runsOfPage.runs()) {
            if (!done.containsKey(run.id())) {
                jobs.record(jobId, act(job, run));
            }
        }
        for (String missing : runsOfPage.missing()) {
            if (!done.containsKey(missing)) {
                jobs.record(jobId, new Result(missing, "not_found", null, "no run of yours has this id", clock.instant()));
            }
        }
        String next = runsOfPage.next() == null ? null : runsOfPage.next().toJson();
        if (!jobs.advance(jobId, page, next, clock.instant())) {
            return; // another handler of this page moved the job on, and sends the next page's message
        }
        if (next == null) {
            LOG.info("bulk job {} completed after {} pages", jobId, page + 1);
            return;
        }
        send(jobId, page + 1);
        jobs.sent(jobId, page + 1);
    }

    /**
     * Sends every job not completed yet its current page's message again: after a restart whose queue did not
     * survive it (the local stack's). A message still on a queue that did is then a repeat, and acts on no run twice.
     *
     * @return how many jobs were sent a message
     */
    public int resendRunning() {
        int sent = 0;
        for (String jobId : jobs.running()) {
            Job job = jobs.find(jobId).orElse(null);
            if (job != null && !job.completed()) {
                send(jobId, job.page());
                sent++;
            }
        }
        return sent;
    }

    /**
     * The deployed stack's safety net for a job whose message was lost (a send that failed after the job's write,
     * a message dead-lettered), run by the sweeper: sends its current page's message again to each job not
     * completed that has not moved for {@code staleAfter}, noting the resend as a move first (so of two sweepers
     * one sends, and a job still stuck is sent again only after a longer wait: {@link #stale}). A job at work moves with
     * every page, and is left alone. A resent message that finds the job moved on is a repeat, and acts on no run
     * twice.
     *
     * @return how many jobs were sent a message
     */
    public int resendStale(Duration staleAfter) {
        if (queueUrl == null) {
            return 0; // no bulk queue here: no jobs
        }
        Instant now = clock.instant();
        int sent = 0;
        for (String jobId : jobs.running()) {
            Job job = jobs.find(jobId).orElse(null);
            if (job != null && stale(job, now, staleAfter) && jobs.markResent(jobId, job.movedAt(), now)) {
                LOG.warn("bulk job {} has not moved since {}; its page {} is sent again", jobId, lastMoved(job), job.page());
                try {
                    send(jobId, job.page());
                } catch (RuntimeException e) {
                    // Noted as resent, it is tried again after its next (doubled) wait; the other jobs go on now.
                    LOG.warn("bulk job {}: its page {} could not be sent again", jobId, job.page(), e);
                    continue;
                }
                jobs.sent(jobId, job.page());
                sent++;
            }
        }
        return sent;
    }

    /** The longest a stuck job waits between two resends: a page that fails every time is not sent every sweep. */
    static final Duration MAX_RESEND_WAIT = Duration.ofDays(1);

    /**
     * Whether a job not completed has gone without moving on for {@code staleAfter}, doubled for each resend since
     * a page was last done (at most {@link #MAX_RESEND_WAIT}): a lost message is found after one bound, and a page
     * that keeps failing (dead-lettered each time) is sent again ever more rarely, as the sweeper backs off a run.
     */
    static boolean stale(Job job, Instant now, Duration staleAfter) {
        Duration wait = Sweep.doubled(staleAfter, job.resends(), MAX_RESEND_WAIT);
        return !job.completed() && !lastMoved(job).plus(wait).isAfter(now);
    }

    private static Instant lastMoved(Job job) {
        return job.movedAt() != null ? job.movedAt() : job.createdAt();
    }

    /** One run's operation for the job, and what came of it. */
    private Result act(Job job, Run run) {
        AtomicBoolean changed = new AtomicBoolean();
        RunService acting = runService.forBulkJob(job.id(), () -> changed.set(true));
        ObjectNode body = Json.object();
        String reason = job.spec().path("reason").asText(null);
        if (reason != null) {
            body.put("reason", reason);
        }
        Instant now = clock.instant();
        try {
            Run after = switch (BulkRequest.Action.fromPath(job.action())) {
                case PAUSE -> acting.pause(job.userId(), run.metronomeId(), run.id(), body);
                case RESUME -> acting.resume(job.userId(), run.metronomeId(), run.id(), body);
                case CANCEL -> acting.cancel(job.userId(), run.metronomeId(), run.id(), body);
            };
            if (changed.get() || actedBefore(job.id(), run.id())) {
                return new Result(run.id(), "changed", after.status().wire(), null, now);
            }
            return new Result(run.id(), "unchanged", after.status().wire(), "was already " + after.status().wire(), now);
        } catch (ApiException e) {
            if (e.status() == 409) {
                return new Result(run.id(), "conflict", run.status().wire(), e.getMessage(), now);
            }
            if (e.status() == 404) {
                return new Result(run.id(), "not_found", null, "no run of yours has this id", now);
            }
            throw e;
        }
    }

    /**
     * True when this job changed the run before (a handler that stopped after the run's write, before recording
     * its result): the run's newest audit events carry the job's id.
     */
    private boolean actedBefore(String jobId, String runId) {
        return audit.latest(runId, 10).stream().anyMatch(e -> jobId.equals(e.payload().path("bulkJobId").asText(null)));
    }

    private void send(String jobId, long page) {
        sqs.sendMessage(r -> r.queueUrl(queueUrl).messageBody(message(jobId, page)));
    }

    // ---------------------------------------------------------------- which runs

    /**
     * @param runs    the page's runs that are the user's and match
     * @param missing run ids of a list that name no run of the user's
     * @param next    where the next page starts; null after the last
     */
    private record Page(List<Run> runs, List<String> missing, int examined, BulkCursor next) {
    }

    private Page read(String userId, JsonNode spec, BulkCursor at, int size) {
        if (spec.has("runIds")) {
            List<String> all = new ArrayList<>();
            spec.get("runIds").forEach(id -> all.add(id.asText()));
            List<String> ids = all.subList(Math.min(at.offset(), all.size()), Math.min(at.offset() + size, all.size()));
            List<Run> found = runs.findAll(ids).stream().filter(r -> r.userId().equals(userId)).toList();
            List<String> missing = ids.stream().filter(id -> found.stream().noneMatch(r -> r.id().equals(id))).toList();
            int end = at.offset() + ids.size();
            return new Page(found, missing, ids.size(), end < all.size() ? new BulkCursor(end, null, null, null) : null);
        }
        BulkRequest.Filter filter = BulkRequest.Filter.fromJson(spec.get("filter"));
        String metronomeId = filter.metronomeId() != null ? filter.metronomeId() : at.metronomeId();
        String metronomesAfter = at.metronomesAfter();
        if (metronomeId == null) {
            // The next of the user's metronomes; its runs are read from the next page on.
            var listed = metronomes.listByUser(userId, 1, metronomesAfter == null ? null
                    : Cursors.decode(metronomesAfter, Map.of("userId", userId), "metronomeId", Ids.METRONOME));
            if (listed.metronomes().isEmpty()) {
                return new Page(List.of(), List.of(), 0, null);
            }
            Metronome m = listed.metronomes().get(0);
            String after = listed.lastKey() == null ? BulkCursor.LAST : Cursors.encode(Map.of(
                    "userId", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(userId),
                    "metronomeId", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(m.id())));
            return new Page(List.of(), List.of(), 0, new BulkCursor(0, after, m.id(), null));
        }
        var start = Cursors.decode(at.runsAfter(), filter.status() == null ? Map.of("metronomeId", metronomeId)
                : Map.of("metronomeStatus", metronomeId + "#" + filter.status().wire()), "runId", Ids.RUN);
        RunRepository.Page page = runs.range(metronomeId, filter.status(), idAt(filter.createdAfter(), ID_MARGIN.negated()),
                idAt(filter.createdBefore(), ID_MARGIN), size, start);
        List<Run> matching = page.runs().stream().filter(r -> filter.matches(userId, r)).toList();
        BulkCursor next;
        if (page.lastKey() != null) {
            next = new BulkCursor(0, metronomesAfter, filter.metronomeId() != null ? null : metronomeId,
                    Cursors.encode(page.lastKey()));
        } else if (filter.metronomeId() != null || BulkCursor.LAST.equals(metronomesAfter)) {
            next = null;
        } else {
            next = new BulkCursor(0, metronomesAfter, null, null);
        }
        return new Page(matching, List.of(), page.runs().size(), next);
    }

    /** The smallest run id of that moment, moved by {@code margin}; null for none. */
    private static String idAt(Instant t, Duration margin) {
        if (t == null) {
            return null;
        }
        return Ids.RUN + new com.github.f4b6a3.ulid.Ulid(Math.max(0, t.plus(margin).toEpochMilli()), new byte[10])
                .toString().toLowerCase();
    }

    private void ownedMetronome(String userId, String metronomeId) {
        metronomes.find(metronomeId).filter(m -> m.userId().equals(userId))
                .orElseThrow(() -> ApiException.notFound("metronome"));
    }
}
