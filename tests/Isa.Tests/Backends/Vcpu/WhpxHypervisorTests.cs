using Isa.Backends.Vcpu;
using Isa.Cli.Commands;
using Isa.Backends.Vcpu.Whpx;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>Opening WHPX where it cannot exist gives the clear error, never a crash.</summary>
public sealed class WhpxHypervisorTests
{
    [Fact]
    public void OpeningSaysWhyWhpxIsMissing()
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows: either a usable partition or the reason there is none.
            bool available = WhpxHypervisor.IsAvailable(out string reason);
            Assert.True(available ? reason.Length == 0 : reason.StartsWith("Windows Hypervisor Platform is not available", StringComparison.Ordinal), reason);
            return;
        }

        var error = Assert.Throws<HypervisorUnavailableException>(() => WhpxHypervisor.Open());
        Assert.StartsWith("Windows Hypervisor Platform is not available: it needs Windows on x86-64", error.Message);
        Assert.False(WhpxHypervisor.IsAvailable(out string why));
        Assert.Equal(error.Message, why);
    }

    [Fact]
    public void RunWithEngineWhpxGivesTheReasonAsOneErrorLine()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        int status = new RunCommand().Run(["--engine", "whpx", "program"], output, error);

        Assert.Equal(2, status);
        Assert.Equal("", output.ToString());
        string line = Assert.Single(error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith(OperatingSystem.IsWindows() ? "isa: run: --engine whpx: " : "isa: run: --engine whpx: Windows Hypervisor Platform is not available: it needs Windows on x86-64", line);
    }
}
