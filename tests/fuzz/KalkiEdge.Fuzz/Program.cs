using KalkiEdge.Fuzz;

// kalki-fuzz: the coverage-guided side of the parser fuzzing (tests/fuzz/run.sh drives it under AFL++).
//   list                    the targets, one per line
//   instrument DIR          adds SharpFuzz's branch coverage to the appliance's assemblies in DIR (once, in place;
//                           from then on they run only under afl-fuzz, so seeds are written before)
//   seeds TARGET DIR        writes the target's seeds and kept regressions into DIR (AFL++'s starting corpus)
//   run TARGET              one input per AFL++ execution from stdin (the fork-server loop of SharpFuzz)
return args switch
{
    ["list"] => Harness.List(),
    ["instrument", var dir] => Harness.Instrument(dir),
    ["seeds", var target, var dir] => Harness.Seeds(target, dir),
    ["run", var target] => Harness.Run(target),
    _ => Harness.Usage(),
};
