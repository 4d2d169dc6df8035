package io.metronome.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.metronome.domain.Ids;
import io.metronome.domain.Json;
import io.metronome.domain.Times;
import io.metronome.store.ApiKeyRepository;
import io.metronome.store.ApiKeyRepository.ApiKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;

@Command(name = "keys", description = "Create, list and revoke API keys.",
        subcommands = {KeysCommand.Create.class, KeysCommand.ListKeys.class, KeysCommand.Revoke.class})
final class KeysCommand implements Runnable {
    /** What a user id may be: it is the caller's name everywhere in the API (metronomes' userId, audit events). */
    static final Pattern USER = Pattern.compile("[A-Za-z0-9._@+-]{1,128}");
    static final int MAX_LABEL = 200;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "name what to do: keys create, keys list or keys revoke");
    }

    @Command(name = "create", description = {"Makes a key for a user and prints it, once, on standard output; only "
            + "its SHA-256 is stored.", "For example: KEY=$(./metronome keys create --user ann --name ci --local)"})
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        TargetOptions target;

        @Option(names = "--user", required = true, paramLabel = "U", description = "the user the key acts as")
        String user;

        @Option(names = "--name", paramLabel = "LABEL", description = "a label, to tell the user's keys apart")
        String label;

        @Override
        public Integer call() {
            if (!USER.matcher(user).matches()) {
                throw new ParameterException(spec.commandLine(),
                        "--user must be 1 to 128 letters, digits or . _ @ + -, not '" + user + "'");
            }
            if (label != null && (label.isBlank() || label.length() > MAX_LABEL || label.chars().anyMatch(Character::isISOControl))) {
                throw new ParameterException(spec.commandLine(),
                        "--name must be 1 to " + MAX_LABEL + " characters, none of them control characters");
            }
            try (Target t = target.open()) {
                ApiKeyRepository.Issued issued = t.apiKeys().create(user, label, Instant.now());
                spec.commandLine().getOut().println(issued.key());
                spec.commandLine().getErr().println("Key " + issued.apiKey().id() + " for user '" + user + "'"
                        + (label == null ? "" : " (" + label + ")") + " on " + t.name()
                        + ". This is the only time it is shown: only its SHA-256 is stored.");
            }
            return 0;
        }
    }

    @Command(name = "list", description = {"Lists keys: id, user, label, when made, when revoked; never a key or its "
            + "hash.", "With --user, through the table's byUser index; without, every key, by scanning the table "
            + "(an administrator's command on a small table)."})
    static final class ListKeys implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        TargetOptions target;

        @Option(names = "--user", paramLabel = "U", description = "only this user's keys")
        String user;

        @Option(names = "--json", description = "one JSON object a line instead of a table")
        boolean json;

        @Override
        public Integer call() {
            List<ApiKey> keys;
            try (Target t = target.open()) {
                keys = user == null ? t.apiKeys().listAll() : byUser(t, user, spec.commandLine().getErr());
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                keys.forEach(k -> out.println(json(k)));
            } else {
                table(keys, out);
            }
            return 0;
        }

        /**
         * Through the index. A table without it (a local data directory made before it: the emulator cannot add an
         * index to a table) or with the index still being built (just deployed) is scanned instead.
         */
        private static List<ApiKey> byUser(Target t, String user, PrintWriter err) {
            try {
                return t.apiKeys().list(user);
            } catch (DynamoDbException e) {
                String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
                String message = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorMessage();
                if (!"ValidationException".equals(code) || message == null || !message.toLowerCase().contains("index")) {
                    throw e;
                }
                err.println("metronome: the byUser index cannot be read (" + message + "); scanning the table instead");
                return t.apiKeys().listAll().stream().filter(k -> user.equals(k.userId())).toList();
            }
        }
    }

    @Command(name = "revoke", description = {"Revokes a key: the API refuses it from then on (401). Revoking it "
            + "again changes nothing.", "An authorizer container that resolved the key in the last 60 seconds may "
            + "still accept it until those 60 seconds are up."})
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        TargetOptions target;

        @Option(names = "--id", required = true, paramLabel = "ID", description = "the key's id (key_..., from keys list)")
        String id;

        @Override
        public Integer call() {
            if (!Ids.isValid(Ids.API_KEY, id)) {
                throw new ParameterException(spec.commandLine(), "--id needs a key id (key_ and 26 letters and digits, "
                        + "as keys list shows), not '" + id + "'");
            }
            Optional<ApiKey> revoked;
            String where;
            try (Target t = target.open()) {
                revoked = t.apiKeys().revoke(id, Instant.now());
                where = t.name();
            }
            if (revoked.isEmpty()) {
                throw new CommandFailed("no key has the id " + id + " on " + where);
            }
            ApiKey k = revoked.get();
            spec.commandLine().getOut().println(k.id() + " (user " + k.userId() + ") revoked at " + Times.format(k.revokedAt()));
            spec.commandLine().getErr().println("The API refuses it from now on; an authorizer that resolved it in "
                    + "the last 60 s may accept it until then.");
            return 0;
        }
    }

    static String json(ApiKey k) {
        ObjectNode o = Json.object();
        o.put("id", k.id());
        o.put("userId", k.userId());
        o.put("label", k.label());
        o.put("createdAt", Times.format(k.createdAt()));
        o.put("revokedAt", Times.format(k.revokedAt()));
        return o.toString();
    }

    static void table(List<ApiKey> keys, PrintWriter out) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"ID", "USER", "LABEL", "CREATED", "REVOKED"});
        for (ApiKey k : keys) {
            rows.add(new String[]{k.id(), orDash(k.userId()), orDash(k.label()), orDash(Times.format(k.createdAt())),
                    orDash(Times.format(k.revokedAt()))});
        }
        int[] widths = new int[5];
        rows.forEach(r -> {
            for (int i = 0; i < r.length; i++) {
                widths[i] = Math.max(widths[i], r[i].length());
            }
        });
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(i == r.length - 1 ? r[i] : String.format("%-" + (widths[i] + 2) + "s", r[i]));
            }
            out.println(line.toString().stripTrailing());
        }
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }
}
