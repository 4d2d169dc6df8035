package io.metronome.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResultEntry;

import java.util.List;
import java.util.function.Supplier;

/**
 * Publishes status changes with PutEvents, {@value #ENTRIES} to a call (its limit; a notification is about 300
 * bytes, far from the call's 256 KB), in order. A call that fails, or an entry it did not take
 * ({@code FailedEntryCount} above 0), ends the publishing there: what follows is published again with it.
 */
public final class EventBridgeNotifier implements StatusNotifier {
    static final int ENTRIES = 10;
    private static final Logger LOG = LoggerFactory.getLogger(EventBridgeNotifier.class);
    private final Supplier<EventBridgeClient> clientFactory;
    private final String busName;
    private EventBridgeClient client;

    public EventBridgeNotifier(Supplier<EventBridgeClient> clientFactory, String busName) {
        this.clientFactory = clientFactory;
        this.busName = busName;
    }

    private synchronized EventBridgeClient client() {
        if (client == null) {
            client = clientFactory.get();
        }
        return client;
    }

    @Override
    public int publish(List<StatusNotification> notifications) {
        for (int from = 0; from < notifications.size(); from += ENTRIES) {
            List<StatusNotification> chunk = notifications.subList(from, Math.min(notifications.size(), from + ENTRIES));
            List<PutEventsRequestEntry> entries = chunk.stream().map(n -> PutEventsRequestEntry.builder()
                    .eventBusName(busName).source(StatusNotification.SOURCE)
                    .detailType(StatusNotification.DETAIL_TYPE).detail(n.detail().toString())
                    .resources(List.of()).time(n.at()).build()).toList();
            PutEventsResponse response;
            try {
                response = client().putEvents(r -> r.entries(entries));
            } catch (SdkException e) {
                LOG.warn("PutEvents of {} status changes failed; they are published again with their records",
                        chunk.size(), e);
                return from;
            }
            Integer failedCount = response.failedEntryCount();
            if (failedCount != null && failedCount > 0) {
                List<PutEventsResultEntry> results = response.entries();
                int firstFailed = 0;
                while (firstFailed < results.size() && results.get(firstFailed).errorCode() == null) {
                    firstFailed++;
                }
                firstFailed = Math.min(firstFailed, chunk.size() - 1);
                PutEventsResultEntry failed = firstFailed < results.size() ? results.get(firstFailed) : null;
                LOG.warn("EventBridge did not take {} of {} status changes (first: run {}, {}: {}); published again "
                                + "from it", failedCount, chunk.size(), chunk.get(firstFailed).runId(),
                        failed == null ? null : failed.errorCode(), failed == null ? null : failed.errorMessage());
                return from + firstFailed;
            }
        }
        return notifications.size();
    }
}
