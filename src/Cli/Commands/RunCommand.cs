using Isa.Cli.Disassembly;
using Isa.Backends.Jit;
using Isa.Backends.Vcpu.Kvm;
using Isa.Backends.Vcpu.Whpx;
using Isa.Runtime.Cpu;
using Isa.Runtime.Linux;
using Isa.Runtime.Linux.Signals;
using Isa.Runtime.Loaders.Elf;
using Isa.Runtime.Memory;
using Microsoft.Win32.SafeHandles;

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

    public override string Synopsis => "isa run [--engine jit|interp|kvm|whpx|auto] [--code-space SIZE] [--resident COUNT] [--resident-after N] [--sysroot DIR] [--strace] [--timeout SECONDS] [--isa NAME] PROGRAM [ARGS...]";

    public override string Summary => "run a Linux guest program (MIPS o32) with its syscalls emulated";

    protected override bool OptionsEndAtPositional => true;

    /// <summary>The documented options, plus the hidden ones the runtime gives a forked or executed emulator.</summary>
    protected override IReadOnlyCollection<string> ValueOptions =>
        ["--engine", "--code-space", "--resident", "--resident-after", "--sysroot", "--timeout", "--isa", GuestLauncher.ResumeForkOption, GuestLauncher.InheritFdsOption, GuestLauncher.Argv0Option, GuestLauncher.SignalStateOption];

    protected override IReadOnlyCollection<string> FlagOptions => ["--strace", "--stats", "--no-templates"];

    protected override IReadOnlyList<string> OptionHelp =>
    [
        "--engine ENGINE     jit: the x64 JIT in this process (default); interp: the generated interpreter;",
        "                    kvm: the JIT's code inside KVM virtual CPUs (needs /dev/kvm); whpx: inside Windows",
        "                    Hypervisor Platform virtual CPUs; auto: kvm or whpx where one works, else jit",
        "--sysroot DIR       the guest's / for its dynamic linker, libraries and absolute paths that exist there (qemu's -L)",
        "--strace            log every syscall to stderr",
        "--timeout SECONDS   stop a guest that runs longer (exit status 124)",
        "--stats             print guest instructions, time and speed to stderr at the end",
        "--no-templates      the JIT ignores the specs' x64 templates (generic lowering only, to compare)",
        "--code-space SIZE   the JIT's code space (bytes, or with a K, M or G suffix; default 256M): when full,",
        "                    every translation is dropped and translation starts again",
        "--resident COUNT    how many guest registers the JIT keeps in host registers across blocks (0 to 6,",
        "                    default 4; 5 at most with base-register addressing), picked by a profile of",
        "--resident-after N  the first N guest instructions run in JIT code (default 20000000)",
        "--isa NAME          the ISA, when the ELF header is not enough",
    ];

    protected override int Execute(CommandArguments arguments, TextWriter output)
    {
        string? resumeFork = arguments.Value(GuestLauncher.ResumeForkOption);
        if (arguments.Positionals.Count == 0 && resumeFork is null)
        {
            throw new CommandException("needs the program to run");
        }

        string engine = arguments.Value("--engine") ?? "jit";
        if (engine is not ("jit" or "interp" or "kvm" or "whpx" or "auto"))
        {
            throw new CommandException($"unknown engine '{engine}' (available: jit, interp, kvm, whpx, auto)");
        }

        // A hypervisor named but missing is an error (no silent fallback); auto picks what works.
        string? kvmMissing = null, whpxMissing = null;
        bool kvm = engine is "kvm" or "auto" && KvmHypervisor.IsAvailable(out kvmMissing);
        bool whpx = engine is "whpx" or "auto" && !kvm && WhpxHypervisor.IsAvailable(out whpxMissing);
        if (engine == "kvm" && !kvm)
        {
            throw new CommandException($"--engine kvm: {kvmMissing}");
        }

        if (engine == "whpx" && !whpx)
        {
            throw new CommandException($"--engine whpx: {whpxMissing}");
        }

        if (engine == "auto")
        {
            engine = kvm ? "kvm" : whpx ? "whpx" : "jit";
        }

        JitOptions jitOptions = new() { UseSpecTemplates = !arguments.Flag("--no-templates") };
        if (arguments.Value("--code-space") is { } codeSpace)
        {
            jitOptions = jitOptions with { CodeSpaceBytes = ParseSize("--code-space", codeSpace) };
        }

        if (arguments.Value("--resident") is { } resident)
        {
            jitOptions = jitOptions with { ResidentRegisterCount = (int)ParseCount("--resident", resident, 0, 6) };
        }

        if (arguments.Value("--resident-after") is { } after)
        {
            jitOptions = jitOptions with { ResidentProfileInstructions = ParseCount("--resident-after", after, 1, long.MaxValue) };
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

        if (engine == "jit")
        {
            JitEngine.PrepareInBackground(); // while the program loads
        }

        ForkSnapshot? snapshot = resumeFork is null ? null : ReadSnapshot(resumeFork);
        string path = snapshot?.ExecutablePath ?? arguments.Positionals[0];
        if (snapshot is null && !File.Exists(path))
        {
            throw new CommandException($"{path}: no such file");
        }

        GuestIsa isa;
        ElfFile? program = null;
        if (snapshot is not null)
        {
            isa = IsaSelection.ByName(snapshot.IsaName);
        }
        else
        {
            program = ElfFile.Load(path);
            isa = arguments.Value("--isa") is { } name ? IsaSelection.ByName(name) : IsaSelection.ForElf(program, prefer: candidate => candidate.LinuxAbi is not null);
        }

        LinuxAbi abi;
        try
        {
            abi = LinuxAbis.For(isa);
        }
        catch (NotSupportedException unsupported)
        {
            throw new CommandException(unsupported.Message);
        }

        // One JIT per guest address space: every thread's CPU shares its block cache; a fork child makes its own.
        // Not disposed: this process ends with the run, and its code memory goes with it; giving the
        // memory back first (a hole punched in the code memfd while other threads live, so TLBs are
        // flushed across CPUs) took 0.2-1 ms of every start.
        using var process = new GuestProcess(isa, abi, path, sysroot) { Launcher = Launcher(engine, sysroot, arguments.Flag("--strace"), isa, jitOptions) };
        JitEngine? jit = engine switch
        {
            "jit" => new JitEngine(isa, process.Memory, jitOptions),
            "kvm" => new JitEngine(isa, process.Memory, jitOptions with { Hypervisor = KvmHypervisor.Open }),
            "whpx" => new JitEngine(isa, process.Memory, jitOptions with { Hypervisor = WhpxHypervisor.Open }),
            _ => null,
        };
        process.CpuFactory = jit is null ? isa.CreateCpu : _ => jit.CreateCpu();
        List<(int Guest, int Host, bool CloseOnExec)>? inherited = snapshot?.Files ?? InheritedFds(arguments.Value(GuestLauncher.InheritFdsOption));
        if (inherited is not null)
        {
            process.AdoptFiles(FileTable.Inherited(inherited));
        }

        using TextWriter? strace = arguments.Flag("--strace") ? TextWriter.Synchronized(new StreamWriter(Console.OpenStandardError()) { AutoFlush = true }) : null;
        ICpu cpu = process.CpuFactory(process.Memory);
        LinuxKernel kernel;
        if (snapshot is not null)
        {
            kernel = snapshot.Restore(process, cpu, strace);
        }
        else
        {
            List<string> argv = [.. arguments.Positionals];
            if (arguments.Value(GuestLauncher.Argv0Option) is { } argv0)
            {
                argv[0] = argv0;
            }

            ElfProgramLoader.Load(process, cpu, program!, argv, GuestLauncher.HostEnvironment());
            program!.Dispose(); // its segments are mapped into the guest: the parsed file is no longer needed
            kernel = new LinuxKernel(process, cpu, strace);
            if (arguments.Value(GuestLauncher.SignalStateOption) is { } signalState)
            {
                (UInt128 ignored, UInt128 blocked) = ParseSignalState(signalState);
                kernel.KeepAcrossExec(new SignalSet(ignored), new SignalSet(blocked));
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        GuestOutcome outcome = kernel.Run(timeout);
        clock.Stop();
        if (arguments.Flag("--stats"))
        {
            double elapsed = clock.Elapsed.TotalSeconds;
            Console.Error.WriteLine($"isa: {cpu.InstructionsRetired} guest instructions in {elapsed:0.000} s ({cpu.InstructionsRetired / elapsed / 1e6:0.0} million/s, {engine})");
            if (jit is not null)
            {
                JitStatistics j = jit.Statistics;
                double t = j.TranslationTime.TotalSeconds;
                Console.Error.WriteLine($"isa: jit: {j.Blocks} blocks, {j.GuestInstructions} guest instructions translated in {t:0.000} s ({j.GuestInstructions / Math.Max(t, 1e-9) / 1e6:0.00} million/s), {j.Invalidations} invalidated, {j.Flushes} flushes, resident: {j.ResidentRegisters ?? "none"} ({j})");
            }
        }

        if (outcome.Message is { } message)
        {
            output.Flush();
            process.ReportToGuestStandardError($"isa: {message}\n");
        }

        if (outcome.KilledBySignal)
        {
            // The entry point ends this process by the signal once its output is flushed.
            FatalHostSignal = outcome.Signal;
        }

        return outcome.ShellStatus;
    }

    /// <summary>
    /// The host signal the guest was killed by, set by a run that ended so: the entry point kills
    /// the process with it once its output is flushed (as qemu-user does), so whoever waits for
    /// this emulator (a guest shell that forked it, or a host shell) sees a death by that signal.
    /// </summary>
    public static int? FatalHostSignal { get; private set; }

    /// <summary>How this emulator starts itself again for the guest's fork and execve, with the options the child shares.</summary>
    private static GuestLauncher? Launcher(string engine, string? sysroot, bool strace, GuestIsa isa, JitOptions jit)
    {
        if (Environment.ProcessPath is not { } self)
        {
            return null;
        }

        List<string> command = [self];
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            command.Add(Path.Combine(AppContext.BaseDirectory, typeof(RunCommand).Assembly.GetName().Name + ".dll")); // run as `dotnet isa.dll`
        }

        command.AddRange(["run", "--engine", engine, "--isa", isa.Name]);
        if (sysroot is not null)
        {
            command.AddRange(["--sysroot", Path.GetFullPath(sysroot)]);
        }

        if (strace)
        {
            command.Add("--strace");
        }

        command.AddRange(JitArguments(jit));
        return new GuestLauncher(command);
    }

    /// <summary>The command-line options that give a child emulator (fork, execve) the same JIT options.</summary>
    public static IEnumerable<string> JitArguments(JitOptions jit)
    {
        if (!jit.UseSpecTemplates)
        {
            yield return "--no-templates";
        }

        if (jit.CodeSpaceBytes != JitOptions.DefaultCodeSpaceBytes)
        {
            yield return "--code-space";
            yield return jit.CodeSpaceBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var defaults = new JitOptions();
        if (jit.ResidentRegisterCount != defaults.ResidentRegisterCount)
        {
            yield return "--resident";
            yield return jit.ResidentRegisterCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (jit.ResidentProfileInstructions != defaults.ResidentProfileInstructions)
        {
            yield return "--resident-after";
            yield return jit.ResidentProfileInstructions.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private static long ParseCount(string option, string text, long min, long max)
        => long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value) && value >= min && value <= max
            ? value
            : throw new CommandException($"{option} takes a whole number from {min}{(max == long.MaxValue ? " up" : $" to {max}")}, not '{text}'");

    /// <summary>A code-space size in bytes, or with a K, M or G suffix (powers of 1024).</summary>
    private static long ParseSize(string option, string text)
    {
        int shift = text.Length > 0 ? char.ToUpperInvariant(text[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 0 } : 0;
        string digits = shift == 0 ? text : text[..^1];
        const long Min = JitOptions.MinCodeSpaceBytes, Max = JitOptions.MaxCodeSpaceBytes;
        return long.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long value)
            && value >= Min >> shift && value <= Max >> shift && value << shift >= Min
            ? value << shift
            : throw new CommandException($"{option} takes a size from {Min >> 10}K to {Max >> 30}G (bytes, or with a K, M or G suffix), not '{text}'");
    }

    private static ForkSnapshot ReadSnapshot(string fdText)
    {
        if (!int.TryParse(fdText, System.Globalization.CultureInfo.InvariantCulture, out int fd) || fd < 0)
        {
            throw new CommandException($"{GuestLauncher.ResumeForkOption} takes an inherited file descriptor, not '{fdText}'");
        }

        try
        {
            using var stream = new FileStream(new SafeFileHandle(fd, ownsHandle: true), FileAccess.Read, bufferSize: 1 << 16);
            stream.Position = 0; // the parent's writes left the shared offset at the end
            return ForkSnapshot.Read(stream);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new CommandException($"{GuestLauncher.ResumeForkOption} {fd}: {e.Message}");
        }
    }

    private static (UInt128 Ignored, UInt128 Blocked) ParseSignalState(string text)
    {
        try
        {
            return GuestLauncher.ParseSignalState(text);
        }
        catch (FormatException e)
        {
            throw new CommandException($"{GuestLauncher.SignalStateOption}: {e.Message}");
        }
    }

    private static List<(int Guest, int Host, bool CloseOnExec)>? InheritedFds(string? text)
    {
        try
        {
            return text is null ? null : GuestLauncher.ParseFds(text);
        }
        catch (FormatException e)
        {
            throw new CommandException($"{GuestLauncher.InheritFdsOption}: {e.Message}");
        }
    }
}
