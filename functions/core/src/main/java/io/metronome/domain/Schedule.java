package io.metronome.domain;

import com.cronutils.model.Cron;
import com.cronutils.model.definition.CronConstraintsFactory;
import com.cronutils.model.definition.CronDefinition;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A schedule in EventBridge's notation: {@code cron(minutes hours day-of-month month day-of-week year)} (with
 * {@code ? L W #}, day names, one of the two day fields a {@code ?}) or {@code rate(5 minutes)}, in a time zone.
 * Cron expressions are parsed and evaluated by cron-utils, with a definition matching EventBridge's.
 */
public final class Schedule {
    private static final CronDefinition EVENTBRIDGE = CronDefinitionBuilder.defineCron()
            .withMinutes().withValidRange(0, 59).and()
            .withHours().withValidRange(0, 23).and()
            .withDayOfMonth().withValidRange(1, 31).supportsL().supportsW().supportsLW().supportsQuestionMark().and()
            .withMonth().withValidRange(1, 12).and()
            .withDayOfWeek().withValidRange(1, 7).withMondayDoWValue(2).supportsHash().supportsL()
            .supportsQuestionMark().and()
            .withYear().withValidRange(1970, 2199).withStrictRange().and()
            .withCronValidation(CronConstraintsFactory.ensureEitherDayOfWeekOrDayOfMonth())
            .instance();
    private static final CronParser PARSER = new CronParser(EVENTBRIDGE);
    private static final Pattern CRON = Pattern.compile("cron\\((.+)\\)");
    /** The longest rate: ten years (a longer one could not be told from a mistake, and overflows nothing). */
    static final long MAX_RATE_DAYS = 3650;
    private static final Pattern RATE = Pattern.compile("rate\\((\\d+) (minute|minutes|hour|hours|day|days)\\)");

    private final String expression;
    private final ZoneId zone;
    private final ExecutionTime cron;
    private final Duration rate;

    private Schedule(String expression, ZoneId zone, ExecutionTime cron, Duration rate) {
        this.expression = expression;
        this.zone = zone;
        this.cron = cron;
        this.rate = rate;
    }

    /** @throws IllegalArgumentException with a message fit for a 400, for an expression or zone that is not valid */
    public static Schedule parse(String expression, String timezone) {
        ZoneId zone;
        try {
            zone = ZoneId.of(timezone == null ? "UTC" : timezone);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("timezone '" + timezone + "' is not an IANA time zone (e.g. Europe/Paris)");
        }
        Matcher rate = RATE.matcher(expression == null ? "" : expression.trim());
        if (rate.matches()) {
            long n;
            try {
                n = Long.parseLong(rate.group(1));
            } catch (NumberFormatException e) {
                n = Long.MAX_VALUE;
            }
            boolean singular = n == 1;
            if (n < 1 || singular != !rate.group(2).endsWith("s")) {
                throw new IllegalArgumentException("rate needs a positive number and a matching unit, e.g. rate(1 hour), rate(5 minutes)");
            }
            String unit = rate.group(2).replaceAll("s$", "");
            long max = switch (unit) {
                case "minute" -> MAX_RATE_DAYS * 24 * 60;
                case "hour" -> MAX_RATE_DAYS * 24;
                default -> MAX_RATE_DAYS;
            };
            if (n > max) {
                throw new IllegalArgumentException("rate allows at most " + max + " " + unit + "s (ten years)");
            }
            Duration d = switch (unit) {
                case "minute" -> Duration.ofMinutes(n);
                case "hour" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
            return new Schedule(expression.trim(), zone, null, d);
        }
        Matcher cron = CRON.matcher(expression == null ? "" : expression.trim());
        if (!cron.matches()) {
            throw new IllegalArgumentException("must be cron(minutes hours day-of-month month day-of-week year) or rate(n unit)");
        }
        try {
            Cron parsed = PARSER.parse(cron.group(1).trim());
            parsed.validate();
            return new Schedule(expression.trim(), zone, ExecutionTime.forCron(parsed), null);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("cron expression is not valid: " + e.getMessage());
        }
    }

    /**
     * The first fire time strictly after {@code after}; null if the schedule never fires again (a cron with a
     * past year). A rate fires every period counted from {@code anchor} (when the schedule was saved).
     */
    public Instant nextAfter(Instant after, Instant anchor) {
        if (rate != null) {
            long periods = Math.max(0, Duration.between(anchor, after).toMillis() / rate.toMillis()) + 1;
            Instant next = anchor.plus(rate.multipliedBy(periods));
            return next.isAfter(after) ? next : next.plus(rate);
        }
        return cron.nextExecution(after.atZone(zone)).map(z -> z.toInstant()).orElse(null);
    }

    public String expression() {
        return expression;
    }

    public ZoneId zone() {
        return zone;
    }
}
