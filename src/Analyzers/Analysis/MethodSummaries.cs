using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using ComImpersonation.Analyzers.Api;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;

namespace ComImpersonation.Analyzers.Analysis
{
    /// <summary>What a call of a summarised method does, as its caller sees it (SPEC §2 "Through the code base").</summary>
    [Flags]
    internal enum SummaryEffects
    {
        None = 0,

        /// <summary>Hands an impersonation to its caller on some path and leaks none (SPEC §2 hand-offs).</summary>
        Impersonates = 1,

        /// <summary>Revert wrapper: reverts, and never impersonates.</summary>
        Reverts = 2,

        /// <summary>Signal wrapper: may signal.</summary>
        MaySignal = 4,

        /// <summary>Client-identity call: impersonates and reverts internally.</summary>
        ClientIdentity = 8,
    }

    internal sealed class MethodSummary
    {
        public static readonly MethodSummary Opaque = new MethodSummary(SummaryEffects.None, ResultShape.Other, ImpersonationKind.ExplicitToken, ApiFamily.Configured);

        public MethodSummary(SummaryEffects effects, ResultShape shape, ImpersonationKind kind, ApiFamily family, bool returnsEnder = false, CalleePlace? impersonationPlace = null, CalleePlace? revertPlace = null, CalleePlace? signalPlace = null)
        {
            ImpersonationPlace = impersonationPlace;
            RevertPlace = revertPlace;
            SignalPlace = signalPlace;
            ReturnsEnder = returnsEnder;
            Effects = effects;
            Shape = shape;
            Kind = kind;
            Family = family;
        }

        /// <summary>For a method that impersonates: the family of its first impersonation (a fix reverts it with that family's revert).</summary>
        public ApiFamily Family { get; }

        /// <summary>For a method that impersonates: the most a call context of its impersonations needs (COM over RPC over a token).</summary>
        public ImpersonationKind Kind { get; }

        public SummaryEffects Effects { get; }

        /// <summary>For an impersonation wrapper: how its result reports failure.</summary>
        public ResultShape Shape { get; }

        /// <summary>
        /// For a hand-off: what a call returns (or, for a constructor, the object it makes) ends the impersonation when
        /// disposed or undone. Only then does <c>using (Helper())</c> end it in the caller.
        /// </summary>
        public bool ReturnsEnder { get; }

        /// <summary>For a method that impersonates: its first impersonation (the innermost recognised call), for messages.</summary>
        public CalleePlace? ImpersonationPlace { get; }

        /// <summary>For a method that reverts: its first revert (or restore of a saved token), for messages.</summary>
        public CalleePlace? RevertPlace { get; }

        /// <summary>For a method that may signal: its first signal, for messages.</summary>
        public CalleePlace? SignalPlace { get; }

        public bool Has(SummaryEffects effect) => (Effects & effect) != 0;
    }

    /// <summary>
    /// Summaries of methods in the compilation, computed from their bodies on demand and cached per compilation.
    /// Depth-limited (<c>comimp.interprocedural_depth</c>); recursion is cut off by treating a method that is
    /// being summarised on this thread as opaque. Calls through interfaces (unless the receiver's type is
    /// known), virtual methods, delegates and other assemblies stay opaque.
    /// </summary>
    internal sealed class MethodSummaries
    {
        [ThreadStatic]
        private static HashSet<IMethodSymbol>? t_inProgress;

        private readonly Compilation _compilation;
        private readonly ApiModel _api;
        private readonly ConcurrentDictionary<(IMethodSymbol Method, int Depth, ApiOptions Options), MethodSummary> _cache =
            new ConcurrentDictionary<(IMethodSymbol, int, ApiOptions), MethodSummary>(new KeyComparer());

        // Computed on first use with the asking code block's cancellation token and published once complete: a
        // cancelled computation is not cached, so it cannot fail later requests with a stale cancellation.
        private WrapperIndex? _wrapperIndex;

        private readonly object _indexLock = new object();

        // Before the index is built: does a tree's text mention a name of the API model's candidates? (per tree, once)
        private readonly NameSearch _candidates;

        private readonly ConcurrentDictionary<SyntaxTree, bool> _mentionsCandidate = new ConcurrentDictionary<SyntaxTree, bool>();

        public MethodSummaries(Compilation compilation, ApiModel api)
        {
            _compilation = compilation;
            _api = api;
            _candidates = new NameSearch(api.CandidateNames);
        }

        /// <summary>
        /// For the syntactic pre-check: names of methods (and, for constructors, types) whose bodies call, directly
        /// or through such methods, something the API model recognises. A body that calls none of them and nothing
        /// recognised needs no analysis. Computed once per compilation from syntax alone.
        /// </summary>
        public bool MayBeWrapperName(string name, CancellationToken cancellationToken) =>
            Index(cancellationToken).Names.Contains(name);

        /// <summary>
        /// For the syntactic pre-check: can code in <paramref name="tree"/> call a name the API model could recognise
        /// or a name of the wrapper-name index, or name a method of that index (a method group)? Only if the tree's text
        /// mentions one of those names. A tree whose text mentions one of the API model's candidates can (asked first,
        /// once per tree, so that a compilation that calls the APIs in every tree never builds the index); otherwise the
        /// index decides: the trees it never walked mention none of its names, candidates included.
        /// </summary>
        public bool MayMatterIn(SyntaxTree tree, CancellationToken cancellationToken)
        {
            if (Volatile.Read(ref _wrapperIndex) is { } index && index.Walked.Contains(tree))
            {
                return true;
            }

            // A candidate the index does not grow from (ApiModel.IndexSeeds) still makes its tree matter.
            if (!_mentionsCandidate.TryGetValue(tree, out bool mentions))
            {
                mentions = _api.MayMention(tree, _candidates, cancellationToken);
                _mentionsCandidate.TryAdd(tree, mentions);
            }

            return mentions || Index(cancellationToken).Walked.Contains(tree);
        }

        /// <summary>The index's names, once built (for the benchmark); null before.</summary>
        internal IReadOnlyCollection<string>? IndexedNames => Volatile.Read(ref _wrapperIndex)?.Names;

        /// <summary>How many trees mention a name of the index, once built (for the benchmark).</summary>
        internal int? IndexedTrees => Volatile.Read(ref _wrapperIndex)?.Walked.Count;

        private WrapperIndex Index(CancellationToken cancellationToken)
        {
            WrapperIndex? index = Volatile.Read(ref _wrapperIndex);
            if (index is not null)
            {
                return index;
            }

            // One thread builds it while the others wait: the driver's first code blocks arrive on every thread at
            // once, and each building its own copy would multiply the cost by the number of threads.
            lock (_indexLock)
            {
                index = Volatile.Read(ref _wrapperIndex);
                if (index is null)
                {
                    index = CollectWrapperNames(cancellationToken);
                    Volatile.Write(ref _wrapperIndex, index);
                }

                return index;
            }
        }

        private WrapperIndex CollectWrapperNames(CancellationToken cancellationToken)
        {
            // The least set of names that contains the API model's candidates and the name of every method (or
            // constructor's type) whose body calls a name in the set. A body can only call a name that its tree's
            // text contains, so a tree is walked only once its text mentions a name of the set: each round searches
            // the trees not yet walked for the names the previous round added. Most trees of a large project mention
            // none and are never walked; those are the trees in which no code can matter (MayMatterIn).
            var names = new HashSet<string>(_api.IndexSeeds, StringComparer.Ordinal);
            var mentions = new List<(string Declared, List<string> Mentioned)>();
            var unwalked = new List<SyntaxTree>(_compilation.SyntaxTrees);
            var walked = new HashSet<SyntaxTree>();
            var fresh = new List<string>(names);
            while (fresh.Count > 0 && unwalked.Count > 0)
            {
                var search = new NameSearch(fresh);
                for (int i = unwalked.Count - 1; i >= 0; i--)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (_api.MayMention(unwalked[i], search, cancellationToken))
                    {
                        CollectMentions(unwalked[i], mentions, cancellationToken);
                        walked.Add(unwalked[i]);
                        unwalked.RemoveAt(i);
                    }
                }

                fresh.Clear();
                for (bool grew = true; grew;)
                {
                    grew = false;
                    foreach ((string declared, List<string> mentioned) in mentions)
                    {
                        if (!names.Contains(declared) && mentioned.Exists(names.Contains))
                        {
                            names.Add(declared);
                            fresh.Add(declared);
                            grew = true;
                        }
                    }
                }
            }

            return new WrapperIndex(names, walked);
        }

        private sealed class WrapperIndex
        {
            public WrapperIndex(HashSet<string> names, HashSet<SyntaxTree> walked)
            {
                Names = names;
                Walked = walked;
            }

            public HashSet<string> Names { get; }

            /// <summary>The trees whose text mentions a name of <see cref="Names"/>.</summary>
            public HashSet<SyntaxTree> Walked { get; }
        }

        /// <summary>For each method and constructor with a body in <paramref name="tree"/>: the names its body calls or creates.</summary>
        private static void CollectMentions(SyntaxTree tree, List<(string Declared, List<string> Mentioned)> mentions, CancellationToken cancellationToken)
        {
            foreach (SyntaxNode node in tree.GetRoot(cancellationToken).DescendantNodes(n => n is not StatementSyntax and not ExpressionSyntax))
            {
                if (node is not BaseMethodDeclarationSyntax declaration || (declaration.Body is null && declaration.ExpressionBody is null))
                {
                    continue;
                }

                string? declared = declaration switch
                {
                    MethodDeclarationSyntax method => method.Identifier.ValueText,
                    ConstructorDeclarationSyntax constructor => constructor.Identifier.ValueText,
                    _ => null,
                };

                if (declared is null)
                {
                    continue;
                }

                var mentioned = new List<string>();
                foreach (SyntaxNode inner in declaration.DescendantNodes())
                {
                    if (inner is InvocationExpressionSyntax invocation && ApiModel.CandidateCallName(invocation) is { } name)
                    {
                        mentioned.Add(name);
                    }
                    else if (inner is ObjectCreationExpressionSyntax creation && RightmostName(creation.Type) is { } typeName)
                    {
                        mentioned.Add(typeName);
                    }
                }

                mentions.Add((declared, mentioned));
            }
        }

        internal static string? RightmostName(TypeSyntax type) => type switch
        {
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            _ => null,
        };

        /// <summary>The summary of <paramref name="method"/>, looking <paramref name="depth"/> calls deep (itself included).</summary>
        public MethodSummary Get(IMethodSymbol method, int depth, ApiOptions options, CancellationToken cancellationToken, bool allowVirtual = false)
        {
            method = method.OriginalDefinition;
            if (depth <= 0 || !IsSummarisable(method, allowVirtual))
            {
                return MethodSummary.Opaque;
            }

            var key = (method, depth, options);
            if (_cache.TryGetValue(key, out MethodSummary? known))
            {
                return known;
            }

            HashSet<IMethodSymbol> inProgress = t_inProgress ??= new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default);
            if (!inProgress.Add(method))
            {
                return MethodSummary.Opaque; // recursion: cut off safely
            }

            try
            {
                MethodSummary summary = Compute(method, depth, options, cancellationToken);
                return _cache.GetOrAdd(key, summary);
            }
            finally
            {
                inProgress.Remove(method);
            }
        }

        private readonly ConcurrentDictionary<IFieldSymbol, bool> _savedTokenFields =
            new ConcurrentDictionary<IFieldSymbol, bool>(SymbolEqualityComparer.Default);

        /// <summary>
        /// The field is written only with the thread's token as it was (<c>OpenThreadToken(…, out field)</c>,
        /// <c>WindowsIdentity.GetCurrent().Token</c>) or with no token, and at least once with a saved one, in the
        /// declarations of its type. Read from syntax and the semantic model once per field.
        /// </summary>
        public bool IsSavedTokenField(IFieldSymbol field, CancellationToken cancellationToken)
        {
            field = field.OriginalDefinition;
            if (_savedTokenFields.TryGetValue(field, out bool known))
            {
                return known;
            }

            bool saved = ComputeSavedTokenField(field, cancellationToken);
            _savedTokenFields.TryAdd(field, saved);
            return saved;
        }

        private bool ComputeSavedTokenField(IFieldSymbol field, CancellationToken cancellationToken)
        {
            bool anySave = false;
            foreach (SyntaxReference reference in field.ContainingType.DeclaringSyntaxReferences)
            {
                if (!_compilation.ContainsSyntaxTree(reference.SyntaxTree))
                {
                    continue;
                }

                SemanticModel? semanticModel = null;
                foreach (SyntaxNode node in reference.GetSyntax(cancellationToken).DescendantNodes())
                {
                    if (node is not IdentifierNameSyntax name || name.Identifier.ValueText != field.Name)
                    {
                        continue;
                    }

                    SyntaxNode written = name.Parent is MemberAccessExpressionSyntax access && access.Name == name ? access : name;
                    bool isArgument = written.Parent is ArgumentSyntax { RefKindKeyword.RawKind: not 0 };
                    bool isAssigned = written.Parent is AssignmentExpressionSyntax assignment && assignment.Left == written;
                    if (!isArgument && !isAssigned)
                    {
                        continue;
                    }

                    semanticModel ??= SemanticModelOf(reference.SyntaxTree);
                    if (!SymbolEqualityComparer.Default.Equals(semanticModel.GetSymbolInfo(name, cancellationToken).Symbol?.OriginalDefinition, field))
                    {
                        continue;
                    }

                    if (isArgument)
                    {
                        if (written.Parent!.Parent?.Parent is InvocationExpressionSyntax call
                            && semanticModel.GetSymbolInfo(call, cancellationToken).Symbol is IMethodSymbol method
                            && ApiModel.IsThreadTokenSave(method))
                        {
                            anySave = true;
                            continue;
                        }

                        return false;
                    }

                    var assignmentSyntax = (AssignmentExpressionSyntax)written.Parent!;
                    if (!assignmentSyntax.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.SimpleAssignmentExpression)
                        || semanticModel.GetOperation(assignmentSyntax.Right, cancellationToken) is not { } value)
                    {
                        return false;
                    }

                    if (ApiModel.IsCurrentToken(value))
                    {
                        anySave = true;
                    }
                    else if (!ApiModel.IsNoHandle(value))
                    {
                        return false;
                    }
                }
            }

            return anySave;
        }

        /// <summary>A semantic model for another tree of the compilation (a callee's body, a partial type's other part).</summary>
        public SemanticModel SemanticModelOf(SyntaxTree tree)
        {
#pragma warning disable RS1030 // Interprocedural analysis needs the callee's body, which may be in another tree.
            return _compilation.GetSemanticModel(tree);
#pragma warning restore RS1030
        }

        private static bool IsSummarisable(IMethodSymbol method, bool allowVirtual) =>
            method.MethodKind is MethodKind.Ordinary or MethodKind.Constructor or MethodKind.ExplicitInterfaceImplementation
            && !method.IsAbstract
            && !method.IsExtern
            && (allowVirtual || !(method.IsVirtual || (method.IsOverride && !method.IsSealed)))
            && method.ContainingType is { TypeKind: not TypeKind.Interface }
            && !method.DeclaringSyntaxReferences.IsEmpty;

        private MethodSummary Compute(IMethodSymbol method, int depth, ApiOptions options, CancellationToken cancellationToken)
        {
            foreach (SyntaxReference reference in method.DeclaringSyntaxReferences)
            {
                SyntaxNode declaration = reference.GetSyntax(cancellationToken);
                bool hasBody = declaration is BaseMethodDeclarationSyntax { Body: not null } or BaseMethodDeclarationSyntax { ExpressionBody: not null };
                if (!hasBody || !_compilation.ContainsSyntaxTree(reference.SyntaxTree))
                {
                    continue;
                }

                SemanticModel semanticModel = SemanticModelOf(reference.SyntaxTree);
                ControlFlowGraph? graph = ControlFlowGraph.Create(declaration, semanticModel, cancellationToken);
                if (graph is null)
                {
                    return MethodSummary.Opaque;
                }

                var session = new BodySession(graph, semanticModel, method, _api, options, this, depth - 1, cancellationToken);
                (BodySession.Body body, BodyModel model) = session.RootBody();
                BodyFindings? findings = BodyFindings.Analyze(body, model, cancellationToken);
                return Summarise(method, reference.SyntaxTree, model, findings, cancellationToken);
            }

            return MethodSummary.Opaque;
        }

        /// <summary>
        /// Code a tool wrote (CsWin32's friendly overloads, other generators): the user sees a call of it as the API
        /// itself, and messages do not send them into it. Marked by <c>[GeneratedCode]</c> on the method or a type
        /// that contains it, by a generated file's name, or by an <c>&lt;auto-generated&gt;</c> comment at its top.
        /// </summary>
        private static bool IsGenerated(IMethodSymbol method, SyntaxTree tree, CancellationToken cancellationToken)
        {
            for (ISymbol? symbol = method; symbol is not null; symbol = symbol.ContainingType)
            {
                foreach (AttributeData attribute in symbol.GetAttributes())
                {
                    if (attribute.AttributeClass?.ToDisplayString() == "System.CodeDom.Compiler.GeneratedCodeAttribute")
                    {
                        return true;
                    }
                }
            }

            string file = System.IO.Path.GetFileName(tree.FilePath);
            foreach (string suffix in GeneratedFileSuffixes)
            {
                if (file.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }

            foreach (SyntaxTrivia trivia in tree.GetRoot(cancellationToken).GetLeadingTrivia())
            {
                if (trivia.ToString().IndexOf("<auto-generated", StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        private static readonly string[] GeneratedFileSuffixes = { ".g.cs", ".g.i.cs", ".generated.cs", ".designer.cs" };

        private static MethodSummary Summarise(IMethodSymbol method, SyntaxTree tree, BodyModel model, BodyFindings? findings, CancellationToken cancellationToken)
        {
            SummaryEffects effects = SummaryEffects.None;
            bool impersonates = findings is { Impersonates: true };
            if (findings is { HandsOff: true })
            {
                // A hand-off (SPEC §2): its call is an impersonation in the caller, ended by what the caller ends.
                effects |= SummaryEffects.Impersonates;
            }
            else if (impersonates && findings is { Reverts: true, ActiveAtNormalExit.Count: 0 })
            {
                effects |= SummaryEffects.ClientIdentity;
            }

            // A revert wrapper; one that restores a saved token after reverting is one too (the restore is no impersonation).
            if ((model.HasRevert || findings is { Reverts: true }) && !impersonates)
            {
                effects |= SummaryEffects.Reverts;
            }

            if (model.Signals.Count > 0)
            {
                effects |= SummaryEffects.MaySignal;
            }

            ImpersonationKind kind = ImpersonationKind.ExplicitToken;
            ApiFamily family = model.Impersonations.Count > 0 ? model.Impersonations[0].Api.Family : ApiFamily.Configured;
            foreach (ImpersonationSite site in model.Impersonations)
            {
                kind = site.Api.Kind > kind ? site.Api.Kind : kind;
            }

            // A wrapper's result is read as an HRESULT (an int) or a success flag (a bool), whatever it wraps:
            // wrappers commonly map a BOOL to an HRESULT (`return ok ? 0 : Marshal.GetHRForLastWin32Error();`).
            ResultShape shape = method.MethodKind == MethodKind.Constructor
                ? ResultShape.Throws
                : ApiModel.ShapeOf(method.ReturnType);
            bool returnsEnder = method.MethodKind == MethodKind.Constructor ? model.HandOffs.IsScopeType : model.ReturnsEnder;
            if (effects == SummaryEffects.None)
            {
                return MethodSummary.Opaque;
            }

            if (IsGenerated(method, tree, cancellationToken))
            {
                return new MethodSummary(effects, shape, kind, family, returnsEnder);
            }

            // Where, inside, the call does what it does: messages name it, and it is an additional location (SPEC §3).
            CalleePlace? impersonationPlace = findings?.FirstImpersonating is { } impersonation
                ? CalleePlace.Of(impersonation.Operation, impersonation.Api.DisplayName, impersonation.Inside)
                : null;
            CalleePlace? signalPlace = model.Signals.Count > 0
                ? CalleePlace.Of(model.Signals[0].Operation, model.Signals[0].DisplayName, model.Signals[0].Inside)
                : null;
            return new MethodSummary(effects, shape, kind, family, returnsEnder, impersonationPlace, RevertPlace(model, findings), signalPlace);
        }

        /// <summary>The first call, in the graph's order, that ends impersonations; failing that, the first restore of a saved token.</summary>
        private static CalleePlace? RevertPlace(BodyModel model, BodyFindings? findings)
        {
            foreach (BasicBlock block in model.Graph.Blocks)
            {
                foreach (Effect effect in model.EffectsOf(block) ?? System.Array.Empty<Effect>())
                {
                    if (effect.Kind is EffectKind.Revert or EffectKind.EndIfBound
                        && effect.Operation is { } call
                        && model.RevertSiteOf(call) is { } revert)
                    {
                        return CalleePlace.Of(call, revert.DisplayName, revert.Inside);
                    }
                }
            }

            return findings?.FirstRestore is { } restore
                ? CalleePlace.Of(restore.Operation, restore.Api.DisplayName, restore.Inside)
                : null;
        }

        private sealed class KeyComparer : IEqualityComparer<(IMethodSymbol Method, int Depth, ApiOptions Options)>
        {
            public bool Equals((IMethodSymbol Method, int Depth, ApiOptions Options) x, (IMethodSymbol Method, int Depth, ApiOptions Options) y) =>
                SymbolEqualityComparer.Default.Equals(x.Method, y.Method) && x.Depth == y.Depth && ReferenceEquals(x.Options, y.Options);

            public int GetHashCode((IMethodSymbol Method, int Depth, ApiOptions Options) obj) =>
                SymbolEqualityComparer.Default.GetHashCode(obj.Method) ^ obj.Depth;
        }
    }
}
