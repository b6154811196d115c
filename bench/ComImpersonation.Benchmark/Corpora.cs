using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ComImpersonation.Benchmark
{
    /// <summary>A generated corpus: its syntax trees (parsed once) and what it holds.</summary>
    internal sealed class Corpus
    {
        public Corpus(string name, ImmutableArray<SyntaxTree> trees, int methods, int statements, int seededDefects)
        {
            Name = name;
            Trees = trees;
            Methods = methods;
            Statements = statements;
            SeededDefects = seededDefects;
            Lines = trees.Sum(t => t.GetText().Lines.Count);
        }

        public string Name { get; }

        public ImmutableArray<SyntaxTree> Trees { get; }

        public int Lines { get; }

        /// <summary>Methods with a body (what a flow analysis has to look at).</summary>
        public int Methods { get; }

        /// <summary>Statements (blocks not counted); for (c), those of the one big method.</summary>
        public int Statements { get; }

        /// <summary>Methods written with a real defect, so that the reporting paths run too.</summary>
        public int SeededDefects { get; }
    }

    /// <summary>
    /// The corpora, generated deterministically (fixed seed, own random generator, invariant culture): the same
    /// arguments give the same source text on every machine and runtime.
    /// </summary>
    internal static class Corpora
    {
        public static readonly CSharpParseOptions ParseOptions = new CSharpParseOptions(LanguageVersion.CSharp12);

        private const ulong Seed = 0x5EED_C0DE_2024_0007UL;

        // ---------------------------------------------------------------------------------------------------------
        // (a) Ordinary C#: classes, records, LINQ, loops, string work, a little I/O on strings. No COM, and none of
        // the names the analyzer looks for.
        // ---------------------------------------------------------------------------------------------------------

        public static Corpus Ordinary(int files)
        {
            var random = new SplitMix(Seed ^ 0xA);
            var trees = ImmutableArray.CreateBuilder<SyntaxTree>(files);
            for (int file = 0; file < files; file++)
            {
                string text = OrdinaryFile(file, random);
                trees.Add(CSharpSyntaxTree.ParseText(text, ParseOptions, path: $"Ordinary/Type{file:D4}.cs", encoding: Encoding.UTF8));
            }

            return Counted("(a) ordinary C#", trees.MoveToImmutable(), seededDefects: 0);
        }

        private static string OrdinaryFile(int file, SplitMix random)
        {
            var w = new Writer();
            w.Line("using System;");
            w.Line("using System.Collections.Generic;");
            w.Line("using System.Globalization;");
            w.Line("using System.IO;");
            w.Line("using System.Linq;");
            w.Line("using System.Text;");
            w.Line("using System.Threading.Tasks;");
            w.Line();
            w.Line($"namespace Ordinary.Module{file % 25:D2}");
            w.Open();
            w.Line($"public sealed record Item{file}(string Name, int Count, decimal Price);");
            w.Line();
            w.Line($"public sealed class Type{file}");
            w.Open();
            w.Line("private readonly List<int> _values = new List<int>();");
            w.Line("private readonly Dictionary<string, int> _counts = new Dictionary<string, int>(StringComparer.Ordinal);");
            w.Line("private string _name;");
            w.Line();
            w.Line($"public Type{file}(string name)");
            w.Open();
            w.Line("_name = name;");
            w.Line($"for (int i = 0; i < {random.Next(3, 12)}; i++)");
            w.Open();
            w.Line("_values.Add(i * i);");
            w.Close();
            w.Close();
            w.Line();
            w.Line("public string Name => _name;");
            w.Line();
            w.Line("public int Count => _values.Count;");
            w.Line();

            // Every type has Compute(int); other methods call earlier types' Compute, so binding crosses files.
            w.Line("public int Compute(int seed)");
            w.Open();
            w.Line($"int result = seed * {random.Next(2, 9)};");
            w.Line("foreach (int value in _values)");
            w.Open();
            w.Line($"result = (result + value) % {random.Next(1000, 9000)};");
            w.Close();
            w.Line("return result;");
            w.Close();

            int methods = 6 + random.Next(0, 4);
            for (int m = 0; m < methods; m++)
            {
                w.Line();
                OrdinaryMethod(w, file, m, random);
            }

            w.Close();
            w.Close();
            return w.ToString();
        }

        private static void OrdinaryMethod(Writer w, int file, int m, SplitMix random)
        {
            int k = random.Next(2, 17);
            switch (random.Next(0, 9))
            {
                case 0:
                    w.Line($"public int Query{m}(IEnumerable<Item{file}> items)");
                    w.Open();
                    w.Line("return items");
                    w.Line($"    .Where(item => item.Count > {k} && item.Name.Length % 2 == 0)");
                    w.Line("    .OrderBy(item => item.Name, StringComparer.Ordinal)");
                    w.Line($"    .Select(item => item.Count * {k + 1})");
                    w.Line("    .Sum();");
                    w.Close();
                    break;

                case 1:
                    w.Line($"public long Loop{m}(int limit)");
                    w.Open();
                    w.Line("long total = 0;");
                    w.Line("for (int i = 0; i < limit; i++)");
                    w.Open();
                    w.Line($"if (i % {k} == 0)");
                    w.Open();
                    w.Line("total += i;");
                    w.Close();
                    w.Line($"else if (i % {k + 1} == 1)");
                    w.Open();
                    w.Line("total -= i / 2;");
                    w.Close();
                    w.Line("else");
                    w.Open();
                    w.Line("total ^= i;");
                    w.Close();
                    w.Close();
                    w.Line("return total;");
                    w.Close();
                    break;

                case 2:
                    w.Line($"public string Text{m}(string input)");
                    w.Open();
                    w.Line("var builder = new StringBuilder();");
                    w.Line("foreach (string part in input.Split(',', StringSplitOptions.RemoveEmptyEntries))");
                    w.Open();
                    w.Line("string trimmed = part.Trim();");
                    w.Line($"if (trimmed.Length > {k})");
                    w.Open();
                    w.Line($"builder.Append(trimmed.Substring(0, {k}).ToUpperInvariant());");
                    w.Close();
                    w.Line("else");
                    w.Open();
                    w.Line("builder.Append(trimmed.Replace(\" \", \"_\", StringComparison.Ordinal));");
                    w.Close();
                    w.Line("builder.Append(';');");
                    w.Close();
                    w.Line($"return string.Join(\"/\", builder.ToString(), _name, {k}.ToString(CultureInfo.InvariantCulture));");
                    w.Close();
                    break;

                case 3:
                    w.Line($"public string Describe{m}(int code)");
                    w.Open();
                    w.Line($"switch (code % {k})");
                    w.Open();
                    w.Line("case 0:");
                    w.Line("    return \"zero\";");
                    w.Line("case 1:");
                    w.Line("    return $\"one of {_name}\";");
                    w.Line("case 2:");
                    w.Line("case 3:");
                    w.Line("    return code.ToString(CultureInfo.InvariantCulture);");
                    w.Line("default:");
                    w.Line("    return code switch");
                    w.Line("    {");
                    w.Line("        < 0 => \"negative\",");
                    w.Line($"        > {k * 100} => \"large\",");
                    w.Line("        _ => \"other\",");
                    w.Line("    };");
                    w.Close();
                    w.Close();
                    break;

                case 4:
                    w.Line($"public int CountWords{m}(string text)");
                    w.Open();
                    w.Line("int distinct = 0;");
                    w.Line("foreach (string word in text.Split(' '))");
                    w.Open();
                    w.Line("if (_counts.TryGetValue(word, out int seen))");
                    w.Open();
                    w.Line("_counts[word] = seen + 1;");
                    w.Close();
                    w.Line("else");
                    w.Open();
                    w.Line("_counts.Add(word, 1);");
                    w.Line("distinct++;");
                    w.Close();
                    w.Close();
                    w.Line("return distinct;");
                    w.Close();
                    break;

                case 5:
                    w.Line($"public int Parse{m}(string text)");
                    w.Open();
                    w.Line("try");
                    w.Open();
                    w.Line($"return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) * {k};");
                    w.Close();
                    w.Line("catch (FormatException)");
                    w.Open();
                    w.Line("return -1;");
                    w.Close();
                    w.Line("finally");
                    w.Open();
                    w.Line("_values.Add(text.Length);");
                    w.Close();
                    w.Close();
                    break;

                case 6:
                    w.Line($"public static T Best{m}<T>(IReadOnlyList<T> items, Func<T, int> score)");
                    w.Open();
                    w.Line("T best = items[0];");
                    w.Line("int bestScore = score(best);");
                    w.Line("for (int i = 1; i < items.Count; i++)");
                    w.Open();
                    w.Line("int current = score(items[i]);");
                    w.Line("if (current > bestScore)");
                    w.Open();
                    w.Line("best = items[i];");
                    w.Line("bestScore = current;");
                    w.Close();
                    w.Close();
                    w.Line("return best;");
                    w.Close();
                    break;

                case 7:
                    w.Line($"public string Write{m}(IEnumerable<Item{file}> items)");
                    w.Open();
                    w.Line("using var writer = new StringWriter(CultureInfo.InvariantCulture);");
                    w.Line("foreach (Item" + file + " item in items)");
                    w.Open();
                    w.Line("writer.Write(item.Name);");
                    w.Line("writer.Write(':');");
                    w.Line($"writer.WriteLine(item.Price * {k}m);");
                    w.Close();
                    w.Line("return writer.ToString();");
                    w.Close();
                    break;

                default:
                    int other = file == 0 ? 0 : random.Next(0, file);
                    w.Line($"public async Task<int> Combine{m}(int seed)");
                    w.Open();
                    w.Line($"var other = new global::Ordinary.Module{other % 25:D2}.Type{other}(_name);");
                    w.Line("await Task.Yield();");
                    w.Line("int total = other.Compute(seed) + Compute(seed);");
                    w.Line("while (total > 1000)");
                    w.Open();
                    w.Line("total /= 3;");
                    w.Close();
                    w.Line("return total;");
                    w.Close();
                    break;
            }
        }

        // ---------------------------------------------------------------------------------------------------------
        // (b) COM call objects: every Begin_ method impersonates, reverts and signals, in varied control flow, and
        // creates and disposes a stream in the same shape (so that CA2000 has the same work to do).
        // ---------------------------------------------------------------------------------------------------------

        public static Corpus Com(int files, int methodsPerFile)
        {
            var random = new SplitMix(Seed ^ 0xB);
            var trees = ImmutableArray.CreateBuilder<SyntaxTree>(files + 1);
            trees.Add(CSharpSyntaxTree.ParseText(InteropFile, ParseOptions, path: "Com/Interop.cs", encoding: Encoding.UTF8));
            int defects = 0;
            for (int file = 0; file < files; file++)
            {
                var w = new Writer();
                CallObjectHeader(w, $"CallObject{file:D4}", $"Com.Server{file % 10}");
                for (int m = 0; m < methodsPerFile; m++)
                {
                    // One method in 25 is written wrong (Signal before the revert), as real code sometimes is.
                    bool defect = random.Next(0, 25) == 0;
                    defects += defect ? 1 : 0;
                    w.Line();
                    w.Line($"public void Begin_Operation{m}(string name, int count)");
                    w.Open();
                    var shape = new ShapeWriter(w, random, inBigMethod: false);
                    shape.Emit(random.Next(0, ShapeWriter.ShapeCount), defect);
                    w.Close();
                }

                w.Close();
                w.Close();
                trees.Add(CSharpSyntaxTree.ParseText(w.ToString(), ParseOptions, path: $"Com/CallObject{file:D4}.cs", encoding: Encoding.UTF8));
            }

            return Counted($"(b) COM call objects", trees.MoveToImmutable(), defects);
        }

        // ---------------------------------------------------------------------------------------------------------
        // (c) One method of about N statements, made of the same shapes as (b), each in a block of its own, and one
        // Signal at the end.
        // ---------------------------------------------------------------------------------------------------------

        public static Corpus BigMethod(int statements)
        {
            var random = new SplitMix(Seed ^ 0xC);
            var w = new Writer();
            CallObjectHeader(w, "BigCallObject", "Com.Big");
            w.Line();
            w.Line("public void Begin_Big(string name, int count)");
            w.Open();
            int written = 0;
            bool last = false;
            while (!last)
            {
                // The last unit has the one defect of the method (Signal while impersonating): that it is reported
                // shows that the analysis went all the way through and did not give up at its step bound.
                var unit = new Writer();
                unit.Open();
                var shape = new ShapeWriter(unit, random, inBigMethod: true);
                last = written >= statements - 30;
                shape.Emit(last ? 0 : random.Next(0, ShapeWriter.ShapeCount), defect: last);
                unit.Close();
                string text = unit.ToString();
                written += CountStatements(SyntaxFactory.ParseStatement(text, options: ParseOptions));
                w.Raw(text);
            }

            w.Line("_sync.Signal();");
            w.Close();
            w.Close();
            w.Close();
            SyntaxTree tree = CSharpSyntaxTree.ParseText(w.ToString(), ParseOptions, path: $"Big/Method{statements}.cs", encoding: Encoding.UTF8);
            var trees = ImmutableArray.Create(CSharpSyntaxTree.ParseText(InteropFile, ParseOptions, path: "Big/Interop.cs", encoding: Encoding.UTF8), tree);
            return Counted($"(c) one method, {statements:N0} statements", trees, seededDefects: 1, bigMethod: true);
        }

        /// <summary>(m), for profiling only: a project that is mostly ordinary code with a few COM call objects.</summary>
        public static Corpus Mixed(Corpus ordinary, Corpus com) =>
            Counted("(m) ordinary code with a few COM call objects", ordinary.Trees.AddRange(com.Trees), com.SeededDefects);

        private static void CallObjectHeader(Writer w, string typeName, string ns)
        {
            w.Line("using System;");
            w.Line("using System.IO;");
            w.Line("using System.Linq;");
            w.Line("using System.Runtime.InteropServices;");
            w.Line("using System.Text;");
            w.Line("using Com.Interop;");
            w.Line();
            w.Line($"namespace {ns}");
            w.Open();
            w.Line($"public sealed class {typeName}");
            w.Open();
            w.Line("private readonly ISynchronize _sync;");
            w.Line("private readonly string _root;");
            w.Line("private int _hr;");
            w.Line("private string? _result;");
            w.Line();
            w.Line($"public {typeName}(ISynchronize sync, string root)");
            w.Open();
            w.Line("_sync = sync;");
            w.Line("_root = root;");
            w.Close();
            w.Line();
            w.Line("public string? Result => _result;");
            w.Line();
            w.Line("public int HResult => _hr;");
        }

        /// <summary>Writes one shape: impersonate, work, revert, signal; a stream created and disposed alongside.</summary>
        private sealed class ShapeWriter
        {
            public const int ShapeCount = 8;

            private readonly Writer _w;
            private readonly SplitMix _random;
            private readonly bool _inBigMethod;
            private int _unique;

            public ShapeWriter(Writer w, SplitMix random, bool inBigMethod)
            {
                _w = w;
                _random = random;
                _inBigMethod = inBigMethod;
            }

            public void Emit(int shape, bool defect)
            {
                switch (shape)
                {
                    case 0: CheckReturnTryFinally(defect); break;
                    case 1: IfElseBranches(defect); break;
                    case 2: ImpersonateInLoop(defect); break;
                    case 3: SwitchInTry(defect); break;
                    case 4: ServerSecurity(defect); break;
                    case 5: WhileWithContinue(defect); break;
                    case 6: ThrowOnFailureNested(defect); break;
                    default: DirectTest(defect); break;
                }
            }

            private string NewStream() => _random.Next(0, 3) == 0
                ? "new FileStream(Path.Combine(_root, name), FileMode.Create, FileAccess.Write)"
                : $"new MemoryStream({_random.Next(16, 4096)})";

            // The failure branch: record the error, complete the call, leave.
            private void Fail(string hr = "hr")
            {
                _w.Open();
                _w.Line($"_hr = {hr};");
                _w.Line("_sync.Signal();");
                _w.Line("return;");
                _w.Close();
            }

            private void FinalSignal(bool assignHr = true)
            {
                if (assignHr)
                {
                    _w.Line("_hr = hr;");
                }

                if (!_inBigMethod)
                {
                    _w.Line("_sync.Signal();");
                }
            }

            private void DefectSignal(bool defect)
            {
                if (defect)
                {
                    _w.Line("_sync.Signal(); // defect: the client is still impersonated here (COMIMP003)");
                }
            }

            private void Work(string stream)
            {
                int n = _random.Next(2, 5);
                for (int i = 0; i < n; i++)
                {
                    int k = _random.Next(1, 200);
                    int u = _unique++;
                    switch (_random.Next(0, 6))
                    {
                        case 0:
                            _w.Line($"{stream}.WriteByte((byte)(count + {k}));");
                            break;
                        case 1:
                            _w.Line($"_result = string.Concat(name, \"-{k}\");");
                            break;
                        case 2:
                            _w.Line($"if (name.Length > {k % 16})");
                            _w.Open();
                            _w.Line($"_result = name.Substring(0, {k % 16});");
                            _w.Close();
                            break;
                        case 3:
                            _w.Line($"byte[] bytes{u} = Encoding.UTF8.GetBytes(name);");
                            _w.Line($"{stream}.Write(bytes{u}, 0, bytes{u}.Length);");
                            break;
                        case 4:
                            _w.Line($"foreach (char c{u} in name)");
                            _w.Open();
                            _w.Line($"if (char.IsDigit(c{u}))");
                            _w.Open();
                            _w.Line($"{stream}.WriteByte((byte)c{u});");
                            _w.Close();
                            _w.Close();
                            break;
                        default:
                            _w.Line($"_result = string.Join(\",\", name.Split('/').Where(p{u} => p{u}.Length > {k % 5}));");
                            break;
                    }
                }
            }

            // The impersonated region: the revert in a finally; inside it the stream, created and disposed the same way.
            private void TryFinally(string revert, bool defect, Action body, string? catchClause = null, string? catchBody = null)
            {
                _w.Line("try");
                _w.Open();
                _w.Line($"var stream = {NewStream()};");
                _w.Line("try");
                _w.Open();
                body();
                _w.Close();
                _w.Line("finally");
                _w.Open();
                _w.Line("stream.Dispose();");
                _w.Close();
                DefectSignal(defect);
                _w.Close();
                if (catchClause is not null)
                {
                    _w.Line(catchClause);
                    _w.Open();
                    _w.Line(catchBody!);
                    _w.Close();
                }

                _w.Line("finally");
                _w.Open();
                _w.Line(revert);
                _w.Close();
            }

            private void CheckReturnTryFinally(bool defect)
            {
                _w.Line("int hr = Ole32.CoImpersonateClient();");
                _w.Line("if (hr < 0)");
                Fail();
                TryFinally("Ole32.CoRevertToSelf();", defect, () => Work("stream"));
                FinalSignal();
            }

            private void IfElseBranches(bool defect)
            {
                _w.Line("int hr = Ole32.CoImpersonateClient();");
                _w.Line("if (hr >= 0)");
                _w.Open();
                TryFinally("Ole32.CoRevertToSelf();", defect, () =>
                {
                    _w.Line($"if (count > {_random.Next(1, 100)})");
                    _w.Open();
                    Work("stream");
                    _w.Close();
                    _w.Line($"else if (count < {_random.Next(-50, 0)})");
                    _w.Open();
                    _w.Line("_result = null;");
                    _w.Close();
                    _w.Line("else");
                    _w.Open();
                    Work("stream");
                    _w.Close();
                });
                _w.Close();
                FinalSignal();
            }

            private void ImpersonateInLoop(bool defect)
            {
                _w.Line("int hr = 0;");
                _w.Line($"for (int i = 0; i < count % {_random.Next(3, 9)}; i++)");
                _w.Open();
                _w.Line("hr = Ole32.CoImpersonateClient();");
                _w.Line("if (hr < 0)");
                _w.Open();
                _w.Line("break;");
                _w.Close();
                TryFinally("Ole32.CoRevertToSelf();", defect, () =>
                {
                    _w.Line("stream.WriteByte((byte)i);");
                    Work("stream");
                });
                _w.Close();
                FinalSignal();
            }

            private void SwitchInTry(bool defect)
            {
                _w.Line("int hr = Ole32.CoImpersonateClient();");
                _w.Line("if (hr < 0)");
                Fail();
                TryFinally("Ole32.CoRevertToSelf();", defect, () =>
                {
                    _w.Line("switch (count % 4)");
                    _w.Open();
                    _w.Line("case 0:");
                    _w.Indent(() => { Work("stream"); _w.Line("break;"); });
                    _w.Line("case 1:");
                    _w.Line("case 2:");
                    _w.Indent(() => { Work("stream"); _w.Line("break;"); });
                    _w.Line("default:");
                    _w.Indent(() => { _w.Line("_result = name;"); _w.Line("break;"); });
                    _w.Close();
                });
                FinalSignal();
            }

            private void ServerSecurity(bool defect)
            {
                _w.Line("int hr = Ole32.CoGetCallContext(InterfaceIds.IServerSecurity, out IServerSecurity? context);");
                _w.Line("if (hr >= 0 && context != null)");
                _w.Open();
                _w.Line("hr = context.ImpersonateClient();");
                _w.Line("if (hr >= 0)");
                _w.Open();
                TryFinally("context.RevertToSelf();", defect, () => Work("stream"), "catch (IOException e)", "hr = e.HResult;");
                _w.Close();
                _w.Close();
                FinalSignal();
            }

            private void WhileWithContinue(bool defect)
            {
                _w.Line("int hr = Ole32.CoImpersonateClient();");
                _w.Line("if (hr < 0)");
                Fail();
                TryFinally("Ole32.CoRevertToSelf();", defect, () =>
                {
                    _w.Line("int i = 0;");
                    _w.Line("while (i < count)");
                    _w.Open();
                    _w.Line("i++;");
                    _w.Line($"if (i % {_random.Next(2, 7)} == 0)");
                    _w.Open();
                    _w.Line("continue;");
                    _w.Close();
                    Work("stream");
                    _w.Close();
                });
                FinalSignal();
            }

            private void ThrowOnFailureNested(bool defect)
            {
                _w.Line("Marshal.ThrowExceptionForHR(Ole32.CoImpersonateClient());");
                TryFinally("Ole32.CoRevertToSelf();", defect, () =>
                {
                    _w.Line("try");
                    _w.Open();
                    Work("stream");
                    _w.Close();
                    _w.Line("catch (UnauthorizedAccessException e)");
                    _w.Open();
                    _w.Line("_hr = e.HResult;");
                    _w.Close();
                });
                FinalSignal(assignHr: false);
            }

            private void DirectTest(bool defect)
            {
                _w.Line("if (Ole32.CoImpersonateClient() >= 0)");
                _w.Open();
                TryFinally("Ole32.CoRevertToSelf();", defect, () => Work("stream"));
                _w.Close();
                _w.Line("else");
                _w.Open();
                _w.Line("_hr = -1;");
                _w.Close();
                FinalSignal(assignHr: false);
            }
        }

        /// <summary>The interop declarations, as the sample (samples/AsyncComServer/Interop.cs) writes them.</summary>
        private const string InteropFile = """
            using System;
            using System.Runtime.InteropServices;

            namespace Com.Interop
            {
                [ComImport]
                [Guid("0000013E-0000-0000-C000-000000000046")]
                [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
                public interface IServerSecurity
                {
                    [PreserveSig]
                    int QueryBlanket(out uint authnSvc, out uint authzSvc, IntPtr serverPrincName, out uint authnLevel, out uint impLevel, IntPtr privs, IntPtr capabilities);

                    [PreserveSig]
                    int ImpersonateClient();

                    [PreserveSig]
                    int RevertToSelf();

                    [PreserveSig]
                    [return: MarshalAs(UnmanagedType.Bool)]
                    bool IsImpersonating();
                }

                [ComImport]
                [Guid("00000030-0000-0000-C000-000000000046")]
                [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
                public interface ISynchronize
                {
                    [PreserveSig]
                    int Wait(uint flags, uint milliseconds);

                    void Signal();

                    void Reset();
                }

                internal static class Ole32
                {
                    [DllImport("ole32.dll")]
                    public static extern int CoImpersonateClient();

                    [DllImport("ole32.dll")]
                    public static extern int CoRevertToSelf();

                    [DllImport("ole32.dll")]
                    public static extern int CoGetCallContext(in Guid riid, [MarshalAs(UnmanagedType.Interface)] out IServerSecurity? context);
                }

                internal static class InterfaceIds
                {
                    public static readonly Guid IServerSecurity = typeof(IServerSecurity).GUID;
                }
            }
            """;

        private static Corpus Counted(string name, ImmutableArray<SyntaxTree> trees, int seededDefects, bool bigMethod = false)
        {
            int methods = 0;
            int statements = 0;
            foreach (SyntaxTree tree in trees)
            {
                foreach (BaseMethodDeclarationSyntax method in tree.GetRoot().DescendantNodes().OfType<BaseMethodDeclarationSyntax>())
                {
                    if (method.Body is null && method.ExpressionBody is null)
                    {
                        continue;
                    }

                    methods++;
                    int count = method.Body is { } body ? CountStatements(body) : 1;
                    if (!bigMethod)
                    {
                        statements += count;
                    }
                    else if (method is MethodDeclarationSyntax { Identifier.ValueText: "Begin_Big" })
                    {
                        statements = count;
                    }
                }
            }

            return new Corpus(name, trees, methods, statements, seededDefects);
        }

        /// <summary>Statements under <paramref name="node"/>, blocks not counted.</summary>
        private static int CountStatements(SyntaxNode node) =>
            node.DescendantNodesAndSelf().Count(n => n is StatementSyntax and not BlockSyntax);

        /// <summary>Indenting source writer.</summary>
        private sealed class Writer
        {
            private readonly StringBuilder _text = new StringBuilder();
            private int _depth;

            public void Line(string line = "")
            {
                if (line.Length > 0)
                {
                    _text.Append(' ', _depth * 4);
                }

                _text.Append(line).Append('\n');
            }

            public void Raw(string text)
            {
                foreach (string line in text.Split('\n'))
                {
                    if (line.Length > 0)
                    {
                        Line(line);
                    }
                }
            }

            public void Open()
            {
                Line("{");
                _depth++;
            }

            public void Close()
            {
                _depth--;
                Line("}");
            }

            public void Indent(Action body)
            {
                _depth++;
                body();
                _depth--;
            }

            public override string ToString() => _text.ToString();
        }

        /// <summary>SplitMix64: a tiny generator whose sequence is fixed by its seed, on any runtime.</summary>
        private sealed class SplitMix
        {
            private ulong _state;

            public SplitMix(ulong seed)
            {
                _state = seed;
            }

            /// <summary>A number in [min, max).</summary>
            public int Next(int min, int max)
            {
                _state += 0x9E3779B97F4A7C15UL;
                ulong z = _state;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                z ^= z >> 31;
                return min + (int)(z % (ulong)(max - min));
            }
        }

        /// <summary>Writes the corpora's source files under <paramref name="directory"/> (--dump), to look at.</summary>
        public static void Dump(string directory, bool quick)
        {
            var corpora = new[] { Ordinary(quick ? 300 : 1000), Com(quick ? 40 : 120, 5), BigMethod(100), BigMethod(1_000), BigMethod(10_000) };
            foreach (Corpus corpus in corpora)
            {
                foreach (SyntaxTree tree in corpus.Trees)
                {
                    string path = System.IO.Path.Combine(directory, tree.FilePath);
                    System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
                    System.IO.File.WriteAllText(path, tree.GetText().ToString());
                }
            }
        }

        internal static string Invariant(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

        internal static IEnumerable<string> Describe(Corpus corpus)
        {
            yield return $"{corpus.Trees.Length:N0} files, {corpus.Lines:N0} lines, {corpus.Methods:N0} methods, {corpus.Statements:N0} statements";
        }
    }
}
