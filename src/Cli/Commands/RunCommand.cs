using Isa.Cli.Disassembly;
using Isa.Backends.Jit;
using Isa.Runtime.Cpu;
using Isa.Runtime.Linux;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Cli.Commands;

/// <summary>
/// <c>isa run</c>: runs a Linux program of a guest ISA as qemu-user does: the guest's syscalls
/// are served by the emulated kernel, its stdin, stdout and stderr are this process's, and the
/// exit status is the guest's; a guest killed by a signal kills this process by the same signal
/// (a shell sees 128 + signal), and --timeout gives 124.
/// </summary>
public sealed class RunCommand : Command
{
    public override string Name => "run";

    public override string Synopsis => "isa run [--engine interp] [--sysroot DIR] [--strace] [--timeout SECONDS] [--isa NAME] PROGRAM [ARGS...]";

    public override string Summary => "run a Linux guest program (MIPS o32) with its syscalls emulated";

    protected override bool OptionsEndAtPositional => true;

    protected override IReadOnlyCollection<string> ValueOptions => ["--engine", "--sysroot", "--timeout", "--isa"];

    protected override IReadOnlyCollection<string> FlagOptions => ["--strace", "--stats"];

    protected override IReadOnlyList<string> OptionHelp =>
    [
        "--engine jit|interp the x64 JIT (default) or the generated interpreter",
        "--sysroot DIR       the guest's / for its dynamic linker, libraries and absolute paths that exist there (qemu's -L)",
        "--strace            log every syscall to stderr",
        "--timeout SECONDS   stop a guest that runs longer (exit status 124)",
        "--stats             print guest instructions, time and speed to stderr at the end",
        "--isa NAME          the ISA, when the ELF header is not enough",
    ];

    protected override int Execute(CommandArguments arguments, TextWriter output)
    {
        if (arguments.Positionals.Count == 0)
        {
            throw new CommandException("needs the program to run");
        }

        string engine = arguments.Value("--engine") ?? "jit";
        if (engine is not ("jit" or "interp"))
        {
            throw new CommandException($"unknown engine '{engine}' (available: jit, interp)");
        }

        string path = arguments.Positionals[0];
        if (!File.Exists(path))
        {
            throw new CommandException($"{path}: no such file");
        }

        string? sysroot = arguments.Value("--sysroot");
        if (sysroot is not null && !Directory.Exists(sysroot))
        {
            throw new CommandException($"--sysroot {sysroot}: no such folder");
        }

        TimeSpan? timeout = null;
        if (arguments.Value("--timeout") is { } seconds)
        {
            timeout = double.TryParse(seconds, System.Globalization.CultureInfo.InvariantCulture, out double s) && s > 0
                ? TimeSpan.FromSeconds(s)
                : throw new CommandException($"--timeout takes a positive number of seconds, not '{seconds}'");
        }

        ElfFile program = ElfFile.Load(path);
        GuestIsa isa = arguments.Value("--isa") is { } name ? IsaSelection.ByName(name) : IsaSelection.ForElf(program, prefer: candidate => candidate.LinuxAbi is not null);
        LinuxAbi abi;
        try
        {
            abi = LinuxAbis.For(isa);
        }
        catch (NotSupportedException unsupported)
        {
            throw new CommandException(unsupported.Message);
        }

        using var process = new GuestProcess(isa, abi, path, sysroot);
        using JitEngine? jit = engine == "jit" ? new JitEngine(isa, process.Memory) : null;
        ICpu cpu = jit?.CreateCpu() ?? isa.CreateCpu(process.Memory);
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").Order(StringComparer.Ordinal).ToList();
        ElfProgramLoader.Load(process, cpu, program, arguments.Positionals, environment);
        using TextWriter? strace = arguments.Flag("--strace") ? new StreamWriter(Console.OpenStandardError()) { AutoFlush = true } : null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        GuestOutcome outcome = new LinuxKernel(process, cpu, strace).Run(timeout);
        clock.Stop();
        if (arguments.Flag("--stats"))
        {
            double elapsed = clock.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"isa: {cpu.InstructionsRetired} guest instructions in {elapsed:0.000} s ({cpu.InstructionsRetired / elapsed / 1e6:0.0} million/s, {engine})");
            if (jit is not null)
            {
                JitStatistics j = jit.Statistics;
                double t = j.TranslationTime.TotalSeconds;
                Console.Error.WriteLine($"isa: jit: {j.Blocks} blocks, {j.GuestInstructions} guest instructions translated in {t:0.000} s ({j.GuestInstructions / Math.Max(t, 1e-9) / 1e6:0.0} million/s), {j.Invalidations} invalidated ({j})");
            }
        }

        if (outcome.Message is { } message)
        {
            output.Flush();
            Console.Error.WriteLine($"isa: {message}");
        }

        if (outcome.KilledBySignal)
        {
            // The parent (a shell, a test) sees what it would see under qemu-user: death by the signal.
            output.Flush();
            Console.Error.Flush();
            HostProcess.ExitBySignal(outcome.Signal);
        }

        return outcome.ShellStatus;
    }
}
