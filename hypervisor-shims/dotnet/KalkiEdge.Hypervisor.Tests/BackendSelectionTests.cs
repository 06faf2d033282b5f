using System.Runtime.Versioning;

namespace KalkiEdge.Hypervisor.Tests;

[TestFixture]
[SupportedOSPlatform("linux")] // key-file modes are POSIX; the shim itself is Linux-only
public sealed class BackendSelectionTests : ShimFixture
{
    [Test]
    public void Emulated_backend_reports_itself_and_is_not_hardware_protected()
    {
        using var shim = OpenEmulated();

        Assert.Multiple(() =>
        {
            Assert.That(shim.Backend, Is.EqualTo(HypervisorBackend.Emulated));
            Assert.That(shim.IsHardwareProtected, Is.False);
            Assert.That(shim.ProbeStatus, Is.EqualTo(ShimStatus.NotProbed));
            Assert.That(shim.Description, Does.Contain("emulated").And.Contain("NOT hardware-protected"));
        });
    }

    [Test]
    public void Auto_without_opt_in_uses_emulated_and_says_why()
    {
        using var shim = OpenEmulated(HypervisorBackendRequest.Auto);

        Assert.Multiple(() =>
        {
            Assert.That(shim.Backend, Is.EqualTo(HypervisorBackend.Emulated));
            Assert.That(shim.IsHardwareProtected, Is.False);
            Assert.That(shim.ProbeStatus, Is.EqualTo(ShimStatus.NotOptedIn));
            Assert.That(shim.Description, Does.Contain("not enabled in the configuration"));
        });
    }

    [Test]
    public void Auto_with_a_regular_file_as_device_falls_back_without_writing_to_it()
    {
        var device = Path.Combine(Directory, "uhcallkmod");
        File.WriteAllBytes(device, []);

        using var shim = HypervisorShim.Open(new HypervisorShimOptions
        {
            Backend = HypervisorBackendRequest.Auto,
            AllowHypercalls = true,
            KeyPath = KeyPath,
            DevicePath = device,
        });

        Assert.Multiple(() =>
        {
            Assert.That(shim.Backend, Is.EqualTo(HypervisorBackend.Emulated));
            Assert.That(shim.IsHardwareProtected, Is.False);
            Assert.That(shim.ProbeStatus, Is.EqualTo(ShimStatus.NotUhcallDevice));
            Assert.That(shim.Description, Does.Contain("not the uhcallkmod character device"));
            Assert.That(new FileInfo(device).Length, Is.Zero, "the request holds a live process address: not a byte may reach a file");
        });
    }

    [Test]
    public void Explicit_uber_xmhf_on_another_character_device_is_refused()
    {
        var ex = Assert.Throws<HypervisorShimException>(() => HypervisorShim.Open(new HypervisorShimOptions
        {
            Backend = HypervisorBackendRequest.UberXmhf,
            AllowHypercalls = true,
            KeyPath = KeyPath,
            DevicePath = "/dev/null",
        }));
        Assert.That(ex!.Status, Is.EqualTo(ShimStatus.NotUhcallDevice));
    }

    [Test]
    public void Explicit_uber_xmhf_without_device_fails_with_the_reason()
    {
        var options = new HypervisorShimOptions
        {
            Backend = HypervisorBackendRequest.UberXmhf,
            AllowHypercalls = true,
            KeyPath = KeyPath,
            DevicePath = Path.Combine(Directory, "no-such-node"),
        };

        var ex = Assert.Throws<HypervisorShimException>(() => HypervisorShim.Open(options).Dispose());

        Assert.Multiple(() =>
        {
            Assert.That(ex.Status, Is.EqualTo(ShimStatus.DeviceAbsent));
            Assert.That(ex.Message, Does.Contain("does not exist"));
        });
    }

    [Test]
    public void Explicit_uber_xmhf_without_opt_in_is_refused()
    {
        var options = new HypervisorShimOptions { Backend = HypervisorBackendRequest.UberXmhf, KeyPath = KeyPath };

        var ex = Assert.Throws<HypervisorShimException>(() => HypervisorShim.Open(options).Dispose());

        Assert.That(ex.Status, Is.EqualTo(ShimStatus.NotOptedIn));
    }

    [Test]
    public void Self_test_passes()
    {
        using var shim = OpenEmulated();

        Assert.DoesNotThrow(shim.SelfTest);
    }

    [Test]
    public void Key_file_is_created_readable_by_owner_only()
    {
        using var shim = OpenEmulated();

        Assert.Multiple(() =>
        {
            Assert.That(File.GetUnixFileMode(KeyPath), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite));
            Assert.That(new FileInfo(KeyPath).Length, Is.EqualTo(32));
        });
    }

    [Test]
    public void Key_file_readable_by_others_is_refused()
    {
        OpenEmulated().Dispose();
        File.SetUnixFileMode(KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var ex = Assert.Throws<HypervisorShimException>(() => OpenEmulated().Dispose());

        Assert.That(ex.Status, Is.EqualTo(ShimStatus.KeyPermissions));
    }

    [Test]
    public void Disposed_shim_throws_object_disposed()
    {
        var shim = OpenEmulated();
        shim.Dispose();

        Assert.Throws<ObjectDisposedException>(() => shim.Hmac([1, 2, 3], new byte[HypervisorShim.DigestSize]));
    }

    [Test]
    public void Every_status_has_a_native_message()
    {
        foreach (var status in Enum.GetValues<ShimStatus>())
        {
            Assert.That(HypervisorShim.Message(status), Is.Not.Empty.And.Not.EqualTo("unknown status code"), status.ToString());
        }
    }
}
