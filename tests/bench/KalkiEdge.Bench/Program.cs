using KalkiEdge.Bench;

// make bench [ARGS="suite ..."]: runs the named suites (default: all) and prints a report; JSON goes to out/bench/.
var suites = BenchSuites.All;
var selected = args.Length == 0 ? suites : suites.Where(s => args.Contains(s.Name, StringComparer.Ordinal)).ToList();
if (selected.Count == 0)
{
    Console.Error.WriteLine($"unknown suite; known: {string.Join(", ", suites.Select(s => s.Name))}");
    return 2;
}

var report = new BenchReport(Path.Combine(RepoPaths.Root, "out", "bench"));
foreach (var suite in selected)
{
    Console.WriteLine($"## {suite.Name}: {suite.Description}");
    if (Prerequisite.SkipLine(suite.Name, suite.Requires) is { } skip)
    {
        Console.WriteLine(skip);
        continue;
    }

    var rows = report.For(suite.Name);
    MachineLoad.Add(rows, "start");
    CrossCoreRoundTrip.Add(rows, "start");
    rows.Add("firmware under test", double.NaN, "", Firmware.Description + $" (set {Firmware.Variable} to a published binary to measure that one)");
    suite.Run(rows);
    MachineLoad.Add(rows, "end");
    CrossCoreRoundTrip.Add(rows, "end");
}

report.Save();
return 0;
