package io.metronome.dynamodb;

import java.util.ArrayList;
import java.util.List;

/** Reading a parsed condition's structure: the paths it reads. */
final class Conditions {
    private Conditions() {
    }

    static List<Path> paths(Condition c) {
        List<Path> out = new ArrayList<>();
        collect(c, out);
        return out;
    }

    private static void collect(Condition c, List<Path> out) {
        if (c instanceof Condition.And a) {
            collect(a.left(), out);
            collect(a.right(), out);
        } else if (c instanceof Condition.Or o) {
            collect(o.left(), out);
            collect(o.right(), out);
        } else if (c instanceof Condition.Not n) {
            collect(n.condition(), out);
        } else if (c instanceof Condition.Compare x) {
            operand(x.left(), out);
            operand(x.right(), out);
        } else if (c instanceof Condition.Between b) {
            operand(b.operand(), out);
            operand(b.low(), out);
            operand(b.high(), out);
        } else if (c instanceof Condition.In i) {
            operand(i.operand(), out);
            i.candidates().forEach(o -> operand(o, out));
        } else if (c instanceof Condition.Exists e) {
            out.add(e.path());
        } else if (c instanceof Condition.AttributeType t) {
            out.add(t.path());
        } else if (c instanceof Condition.BeginsWith b) {
            operand(b.operand(), out);
            operand(b.prefix(), out);
        } else if (c instanceof Condition.Contains x) {
            operand(x.operand(), out);
            operand(x.element(), out);
        }
    }

    private static void operand(Operand o, List<Path> out) {
        if (o instanceof Operand.PathRef p) {
            out.add(p.path());
        } else if (o instanceof Operand.Size s) {
            out.add(s.path());
        }
    }
}
