using KalkiEdge.ControlPlane.Registry;
using KalkiEdge.DataPlane;
using KalkiEdge.Panel.Pairing;
using Microsoft.Data.Sqlite;

namespace KalkiEdge.UnitTests.Registry;

/// <summary>
/// A device added in force (pairing): its chain is in force before the store commits it, the commit follows in
/// order on the store's writer, and a commit the database refuses takes the device out again, visibly. Against a
/// real SQLite file, with the database made slow (another connection holding the write lock) or refusing (a trigger).
/// </summary>
public class AddInForceTests
{
    private const string PlugMac = "02:00:00:00:07:02";
    private const string PlugIp = "192.0.2.72";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private string _dir = null!;
    private RegistrySite _site = null!;

    private KalkiEdge.Appliance.Registry.DeviceRegistry Registry => _site.Appliance.Registry;

    private string DbPath => Path.Combine(_dir, "data", "kalki-edge.db");

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("kalki-inforce-").FullName;
        _site = new RegistrySite(_dir);
    }

    [TearDown]
    public void TearDown()
    {
        _site.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static DeviceSpec Plug(string name = "plug1") => new(name, PlugMac, [PlugIp]) { Type = "generic-iot" };

    [Test]
    public void The_chain_is_in_force_while_the_store_still_waits_and_the_device_is_durable_once_committed()
    {
        var answer = new TaskCompletionSource<RegistryResult>();
        RegistryResult result;
        using (var blocker = Connection())
        {
            using var hold = blocker.BeginTransaction(deferred: false); // the write lock: the writer must wait
            result = Registry.AddInForce(Plug(), "panel", answer.SetResult);

            Assert.That(result.Succeeded, Is.True, string.Join("\n", result.Errors));
            Assert.That(_site.FromDevice(PlugMac, PlugIp), Is.EqualTo(Verdict.Forward), "the pack's chain runs before any commit");
            Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac))!.Chain!.Definition.Image, Is.EqualTo("generic-normal"));
            Assert.That(answer.Task.Wait(TimeSpan.FromMilliseconds(300)), Is.False, "no commit while the database is locked");
            hold.Rollback();
        }

        Assert.That(answer.Task.Wait(Patience), Is.True, "the commit follows once the database is free");
        Assert.That(answer.Task.Result.Succeeded, Is.True);
        using (var reader = Connection())
        {
            Assert.That(Scalar(reader, "SELECT COUNT(*) FROM runtime_devices WHERE name = 'plug1'"), Is.EqualTo(1L), "committed: a crash from here on keeps it");
            Assert.That(Scalar(reader, "SELECT actor || ' ' || action FROM audit_log"), Is.EqualTo("panel device-add"));
        }

        _site.Restart();
        Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac))?.Name, Is.EqualTo("plug1"));
    }

    [Test]
    public void A_commit_the_database_refuses_takes_the_device_out_again_and_says_why()
    {
        using (var admin = Connection())
        {
            Execute(admin, "CREATE TRIGGER refuse_plug BEFORE INSERT ON runtime_devices WHEN NEW.name = 'plug1' BEGIN SELECT RAISE(ABORT, 'the disk says no'); END");
        }

        var changes = new List<RegistryChange>();
        Registry.Changed += changes.Add;
        var answer = new TaskCompletionSource<RegistryResult>();
        var result = Registry.AddInForce(Plug(), "panel", answer.SetResult);
        _site.Appliance.Store!.Writer.Audit(1, "operator", "note", "queued beside the refused device"); // may share its batch

        Assert.That(result.Succeeded, Is.True);
        Assert.That(answer.Task.Wait(Patience), Is.True);
        var refused = answer.Task.Result;
        Assert.Multiple(() =>
        {
            Assert.That(refused.Failure, Is.EqualTo(RegistryFailure.StoreFailed));
            Assert.That(refused.Errors.Single().Message, Does.Contain("the disk says no").And.Contain("taken out again"));
            Assert.That(Registry.Find("plug1"), Is.Null);
            Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac)), Is.Null);
            Assert.That(_site.Appliance.Control.Devices.ContainsKey("plug1"), Is.False);
            Assert.That(changes.Select(c => c.Device is null), Is.EqualTo(new[] { false, true }), "added, then removed");
        });
        Assert.That(_site.FromDevice(PlugMac, PlugIp), Is.EqualTo(Verdict.Drop), "an unknown device again");
        Assert.That(_site.Appliance.Store!.Writer.Flush(Patience), Is.True);
        using var reader = Connection();
        Assert.That(Scalar(reader, "SELECT COUNT(*) FROM audit_log WHERE action = 'note'"), Is.EqualTo(1L), "a refused record loses only itself");
    }

    [Test]
    public void A_pairing_whose_commit_fails_is_reported_as_not_admitted()
    {
        using (var admin = Connection())
        {
            Execute(admin, "CREATE TRIGGER refuse_all BEFORE INSERT ON runtime_devices BEGIN SELECT RAISE(ABORT, 'read-only medium'); END");
        }

        var pairing = _site.Appliance.EnablePairing(KalkiEdge.Panel.PairingSettings.Default);
        var reported = new List<AdmissionResult>();
        var rolledBack = new ManualResetEventSlim();
        pairing.Paired += r =>
        {
            lock (reported)
            {
                reported.Add(r);
            }

            if (!r.Admitted)
            {
                rolledBack.Set();
            }
        };
        pairing.Window.OpenOrExtend(0);
        _site.FromDevice(PlugMac, PlugIp); // a candidate
        var first = pairing.Accept(RegistrySite.MacOf(PlugMac));

        Assert.That(first?.Admitted, Is.True, first?.Detail);
        Assert.That(rolledBack.Wait(Patience), Is.True);
        lock (reported)
        {
            Assert.That(reported.Select(r => r.Admitted), Is.EqualTo(new[] { true, false }), "admitted, then reported as not admitted");
            Assert.That(reported[1].Detail, Does.Contain("read-only medium"));
            Assert.That(pairing.Last, Is.SameAs(reported[1]), "the LCD shows the rollback");
        }

        Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac)), Is.Null);
    }

    [Test]
    public void A_deletion_right_after_the_addition_is_written_after_its_commit()
    {
        var answer = new TaskCompletionSource<RegistryResult>();
        Assert.That(Registry.AddInForce(Plug(), "panel", answer.SetResult).Succeeded, Is.True);

        var removed = Registry.Remove("plug1", "alice");

        Assert.That(removed.Succeeded, Is.True, string.Join("\n", removed.Errors));
        Assert.That(answer.Task.Wait(Patience) && answer.Task.Result.Succeeded, Is.True);
        Assert.That(_site.Appliance.Store!.Writer.Flush(Patience), Is.True);
        using var reader = Connection();
        Assert.That(Scalar(reader, "SELECT COUNT(*) FROM runtime_devices"), Is.EqualTo(0L), "the insert did not overtake the deletion");
        _site.Restart();
        Assert.That(_site.Appliance.Engine.Devices.ByMac(RegistrySite.MacOf(PlugMac)), Is.Null);
    }

    private SqliteConnection Connection()
    {
        var c = new SqliteConnection($"Data Source={DbPath};Pooling=False");
        c.Open();
        return c;
    }

    private static void Execute(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}
