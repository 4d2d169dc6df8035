package io.metronome.engine;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.function.Function;

/**
 * Where run status changes are published. Delivery is at least once: a notification whose publishing failed is
 * published again with the stream record it came from, and one that was published may be so again when a later
 * one of its batch failed; each carries the {@code eventId} of its write, by which consumers drop duplicates.
 */
public interface StatusNotifier {
    /**
     * Publishes the notifications in order.
     *
     * @return how many of them, from the first, are surely published: all of them, or the index of the first
     *         that was not (those after it may or may not have been)
     */
    int publish(List<StatusNotification> notifications);

    /** Without EventBridge (the local stack, {@code EVENT_BUS_NAME} empty): each notification is a log line. */
    static StatusNotifier logging() {
        Logger log = LoggerFactory.getLogger(StatusNotifier.class);
        return notifications -> {
            notifications.forEach(n -> log.info("{}: {}", StatusNotification.DETAIL_TYPE, n.detail()));
            return notifications.size();
        };
    }

    /**
     * EventBridge on the bus {@code EVENT_BUS_NAME}, its client built on first use with the engine's client
     * configuration; the log-line notifier when the variable is empty.
     */
    static StatusNotifier fromEnvironment(Function<String, String> env) {
        String bus = env.apply("EVENT_BUS_NAME");
        if (bus == null || bus.isBlank()) {
            return logging();
        }
        return new EventBridgeNotifier(() -> software.amazon.awssdk.services.eventbridge.EventBridgeClient.builder()
                .httpClientBuilder(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.builder())
                .overrideConfiguration(Engine.clientConfiguration(env)).build(), bus);
    }
}
