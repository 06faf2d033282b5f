namespace KalkiEdge.ReplayTests.Corpus;

/// <summary>
/// Long benign runs (<see cref="BenignScenarios"/>) and the published corpus table (<see cref="CorpusTable"/>):
/// docs/detection-corpus.md must be what the corpus's replays produce now.
/// </summary>
public class CorpusTableTests
{
    /// <summary>Set to 1 (by <c>make corpus-doc</c>) to write the table instead of comparing it.</summary>
    private const string WriteVariable = "KALKI_WRITE_CORPUS_TABLE";

    [Test]
    public void An_hour_of_every_familys_benign_life_raises_no_alert_and_moves_no_device()
    {
        var r = CorpusCatalogue.Result(BenignScenarios.Hour);
        Assert.That(r.OfKind("alert").Select(a => $"{a.GetProperty("device").GetString()}: {a.GetProperty("type").GetString()}: {a.GetProperty("info").GetString()}"), Is.Empty);
        Assert.That(r.OfKind("transition"), Is.Empty, r.Stdout);
        var devices = r.Summary.GetProperty("devices");
        foreach (var d in BenignScenarios.Devices)
        {
            var summary = devices.GetProperty(d.Host.Name);
            Assert.That(summary.GetProperty("state").GetString(), Is.EqualTo("Normal"), d.Type);
            Assert.That(summary.GetProperty("forwarded").GetInt64(), Is.GreaterThan(1000), $"{d.Type} lived through the hour");
            Assert.That(summary.GetProperty("dropped").GetInt64(), Is.Zero, $"{d.Type}: no benign frame is dropped");
        }
    }

    [TestCase(BenignScenarios.ScanDuringLife)]
    [TestCase(BenignScenarios.ScanFromCloud)]
    public void A_scan_during_benign_life_is_still_a_port_scan_on_every_device(string scenario)
    {
        var r = CorpusCatalogue.Result(scenario);
        foreach (var (host, type, _) in BenignScenarios.Devices)
        {
            var device = host.Name;
            Assert.That(CorpusReplay.Alerts(r, device), Does.Contain("port-scan"), $"{type}: {r.Stdout}");
            Assert.That(CorpusReplay.Alerts(r, device), Does.Not.Contain("abnormal-egress"), type);
            Assert.That(CorpusReplay.Transitions(r, device).FirstOrDefault(), Is.EqualTo("Normal->Suspicious"), $"{type}: {r.Stdout}");
        }
    }

    [Test]
    public void The_published_corpus_table_is_the_one_the_corpus_replays_produce()
    {
        var generated = CorpusTable.Markdown(CorpusCatalogue.All.Select(s => (s, CorpusCatalogue.Result(s.Name))));
        if (Environment.GetEnvironmentVariable(WriteVariable) == "1")
        {
            File.WriteAllText(CorpusTable.DocPath, generated);
        }

        Assert.That(File.Exists(CorpusTable.DocPath) ? File.ReadAllText(CorpusTable.DocPath) : "", Is.EqualTo(generated),
            "docs/detection-corpus.md is out of date with the corpus's replays: run `make corpus-doc`, review the difference and commit it");
    }

    [Test]
    public void Every_scenario_name_is_unique()
    {
        Assert.That(CorpusCatalogue.All.Select(s => s.Name), Is.Unique);
    }
}
