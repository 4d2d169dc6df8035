package io.metronome.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "dlq", description = "The node queue's dead-letter queue: where a node message goes after 5 failed receives.",
        subcommands = {DlqCommand.RedriveCommand.class, DlqCommand.CountCommand.class})
final class DlqCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name what to do: dlq redrive or dlq count");
    }

    @Command(name = "redrive", description = {
            "Sends the dead-letter queue's messages back to the node queue, and prints one JSON line per message: "
                    + "messageId, runId, nodeId, kind, receiveCount, outcome.",
            "Outcomes: 'redriven' (sent to the node queue, then deleted here: a stop in between leaves a duplicate, "
                    + "which the worker tolerates); 'dropped: run <status>' (its run has ended; deleted); "
                    + "'kept: unreadable' (not a node message) and 'kept: run not found' (left on the queue)."})
    static final class RedriveCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        TargetOptions target;

        @Option(names = "--max", paramLabel = "N", description = "handle at most N messages (default: all)")
        Integer max;

        @Option(names = "--dry-run", description = "say what would become of each message, and change nothing")
        boolean dryRun;

        @Override
        public Integer call() {
            if (max != null && max < 1) {
                throw new ParameterException(spec.commandLine(), "--max must be at least 1");
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Redrive.Tally tally;
            try (Target t = target.open()) {
                tally = new Redrive(t.sqs(), t.deadLetterQueueUrl(), t.runs(), t.nodeQueue())
                        .run(max == null ? Integer.MAX_VALUE : max, dryRun, line -> {
                            out.println(line);
                            out.flush();
                        }, warning -> err.println("metronome: " + warning));
            }
            err.println((dryRun ? "Dry run, nothing changed: would redrive " : "Redriven: ") + tally.redriven()
                    + (dryRun ? ", drop " : ", dropped: ") + tally.dropped() + (dryRun ? ", keep " : ", kept: ")
                    + tally.kept() + ".");
            return 0;
        }
    }

    @Command(name = "count", description = "Prints how many messages the dead-letter queue holds, as a JSON line "
            + "(SQS's approximate counts: visible, in flight, delayed).")
    static final class CountCommand implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        TargetOptions target;

        @Override
        public Integer call() {
            Map<QueueAttributeName, String> a;
            try (Target t = target.open()) {
                a = t.sqs().getQueueAttributes(r -> r.queueUrl(t.deadLetterQueueUrl()).attributeNames(
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE,
                        QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED)).attributes();
            }
            ObjectNode o = Json.object();
            o.put("messages", Long.parseLong(a.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES, "0")));
            o.put("inFlight", Long.parseLong(a.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE, "0")));
            o.put("delayed", Long.parseLong(a.getOrDefault(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_DELAYED, "0")));
            spec.commandLine().getOut().println(o);
            return 0;
        }
    }
}
