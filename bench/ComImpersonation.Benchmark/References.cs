using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ComImpersonation.Benchmark
{
    /// <summary>What the benchmark compiles against and the peer analyzer it loads, all from this machine.</summary>
    internal static class References
    {
        public const string Ca2000 = "CA2000";

        /// <summary>
        /// The .NET reference assemblies of the SDK on this machine (its Microsoft.NETCore.App.Ref pack), found the way
        /// the tests find them (tests/.../Infrastructure/TestReferences.cs); the running runtime's assemblies otherwise.
        /// </summary>
        public static ImmutableArray<MetadataReference> Net(out string directory)
        {
            string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            string dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
            string packRoot = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
            string? found = null;
            if (Directory.Exists(packRoot))
            {
                string major = "net" + Environment.Version.Major + "." + Environment.Version.Minor;
                found = Directory.GetDirectories(packRoot)
                    .OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out Version? v) ? v : new Version(0, 0))
                    .Select(d => Path.Combine(d, "ref", major))
                    .FirstOrDefault(Directory.Exists);
            }

            directory = found ?? runtimeDirectory;
            return Directory.GetFiles(directory, "*.dll")
                .Where(IsManagedAssembly)
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f))
                .ToImmutableArray();
        }

        /// <summary>
        /// CA2000 (DisposeObjectsBeforeLosingScope) from the Microsoft.CodeAnalysis.NetAnalyzers package restored for
        /// this project (its analyzers/dotnet/cs assemblies), or from the NuGet packages folder.
        /// </summary>
        public static DiagnosticAnalyzer LoadCa2000(out string analyzerDirectory)
        {
            analyzerDirectory = FindNetAnalyzers();
            string directory = analyzerDirectory;
            AssemblyLoadContext.Default.Resolving += (context, name) =>
            {
                string candidate = Path.Combine(directory, name.Name + ".dll");
                return File.Exists(candidate) ? context.LoadFromAssemblyPath(candidate) : null;
            };

            var loader = new Loader();
            foreach (string file in Directory.GetFiles(analyzerDirectory, "*.dll").OrderBy(f => f, StringComparer.Ordinal))
            {
                var reference = new AnalyzerFileReference(file, loader);
                foreach (DiagnosticAnalyzer analyzer in reference.GetAnalyzers(LanguageNames.CSharp))
                {
                    if (analyzer.SupportedDiagnostics.Any(d => d.Id == Ca2000))
                    {
                        return analyzer;
                    }
                }
            }

            throw new InvalidOperationException("CA2000 (DisposeObjectsBeforeLosingScope) was not found in " + analyzerDirectory);
        }

        private static string FindNetAnalyzers()
        {
            var candidates = new List<string>();
            string? restored = typeof(References).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "NetAnalyzersPackagePath")?.Value;
            if (!string.IsNullOrEmpty(restored))
            {
                candidates.Add(restored);
            }

            string packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            candidates.Add(Path.Combine(packages, "microsoft.codeanalysis.netanalyzers", "9.0.0"));
            foreach (string candidate in candidates)
            {
                string directory = Path.Combine(candidate, "analyzers", "dotnet", "cs");
                if (Directory.Exists(directory))
                {
                    return directory;
                }
            }

            throw new InvalidOperationException("Microsoft.CodeAnalysis.NetAnalyzers 9.0.0 is not restored; run `dotnet restore bench/ComImpersonation.Benchmark`.");
        }

        private static bool IsManagedAssembly(string path)
        {
            try
            {
                AssemblyName.GetAssemblyName(path);
                return true;
            }
            catch (BadImageFormatException)
            {
                return false;
            }
        }

        private sealed class Loader : IAnalyzerAssemblyLoader
        {
            public void AddDependencyLocation(string fullPath)
            {
            }

            public Assembly LoadFromPath(string fullPath) => AssemblyLoadContext.Default.LoadFromAssemblyPath(fullPath);
        }
    }
}
