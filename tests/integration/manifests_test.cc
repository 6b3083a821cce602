// deploy/: the manifests render with the real `kubectl kustomize`, and
// what they say holds together: a headless Service with the EPMD and
// distribution ports, the downward API for the pod's name, the cookie from
// a Secret, RBAC granting exactly get/list/watch on what the configured
// lookup mode reads, probes on paths the node serves at the port its
// config opens, a config the node accepts; and the Dockerfile's runtime
// stage runs as non-root with an exec-form ENTRYPOINT.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "beamlink/cluster.h"
#include "config/node_config.h"
#include "support/subprocess.h"

namespace beamlink {
namespace {

using testing::run_process;

const std::string kDeploy = std::string(BEAMLINK_SOURCE_DIR) + "/deploy";

struct Rendered {
  std::vector<YAML::Node> objects;
  std::vector<YAML::Node> of_kind(const std::string& kind) const {
    std::vector<YAML::Node> out;
    for (const auto& o : objects) {
      if (o["kind"].as<std::string>() == kind) out.push_back(o);
    }
    return out;
  }
  YAML::Node named(const std::string& kind, const std::string& name) const {
    for (const auto& o : of_kind(kind)) {
      if (o["metadata"]["name"].as<std::string>() == name) return o;
    }
    return YAML::Node();
  }
};

Rendered render(const std::string& variant) {
  auto result = run_process({"kubectl", "kustomize", kDeploy + "/k8s/" + variant}, "",
                            std::chrono::seconds(60));
  EXPECT_EQ(result.exit_code, 0) << "kubectl kustomize " << variant << ": " << result.err;
  Rendered rendered;
  for (const auto& doc : YAML::LoadAll(result.out)) {
    if (doc.IsMap()) rendered.objects.push_back(doc);
  }
  return rendered;
}

std::set<std::string> strings(const YAML::Node& list) {
  std::set<std::string> out;
  for (const auto& item : list) out.insert(item.as<std::string>());
  return out;
}

// What the kubernetes strategy reads in each lookup mode: {apiGroup, resource}.
std::pair<std::string, std::string> resource_for(const std::string& lookup_mode) {
  if (lookup_mode == "endpointslices") return {"discovery.k8s.io", "endpointslices"};
  if (lookup_mode == "pods") return {"", "pods"};
  return {"", "endpoints"};  // libcluster's default
}

// Checks one beamlink workload (Deployment or StatefulSet) and everything
// it relies on; stores its parsed node config in `out`.
void check_workload(const Rendered& r, const YAML::Node& workload, config::NodeConfig& out) {
  SCOPED_TRACE(workload["kind"].as<std::string>() + " " +
               workload["metadata"]["name"].as<std::string>());
  const YAML::Node pod = workload["spec"]["template"]["spec"];
  const YAML::Node container = pod["containers"][0];
  EXPECT_TRUE(pod["securityContext"]["runAsNonRoot"].as<bool>(false));
  EXPECT_GE(pod["terminationGracePeriodSeconds"].as<int>(0), 10);

  // Downward API and the cookie from a Secret that exists.
  std::map<std::string, YAML::Node> env;
  for (const auto& e : container["env"]) env[e["name"].as<std::string>()] = YAML::Node(e);
  ASSERT_TRUE(env.count("POD_IP")) << "POD_IP from the downward API";
  EXPECT_EQ(env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>(), "status.podIP");
  ASSERT_TRUE(env.count("NAMESPACE"));
  EXPECT_EQ(env["NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"].as<std::string>(),
            "metadata.namespace");
  ASSERT_TRUE(env.count("BEAMLINK_COOKIE"));
  std::string secret =
      env["BEAMLINK_COOKIE"]["valueFrom"]["secretKeyRef"]["name"].as<std::string>();
  std::string key = env["BEAMLINK_COOKIE"]["valueFrom"]["secretKeyRef"]["key"].as<std::string>();
  YAML::Node secret_object = r.named("Secret", secret);
  ASSERT_TRUE(secret_object) << "the cookie's Secret " << secret << " is rendered";
  EXPECT_TRUE(secret_object["data"][key]) << "Secret " << secret << " has key " << key;

  // The node's config, from the mounted ConfigMap, as the node reads it.
  std::string config_map;
  for (const auto& v : pod["volumes"]) {
    if (v["configMap"]) config_map = v["configMap"]["name"].as<std::string>();
  }
  YAML::Node cm = r.named("ConfigMap", config_map);
  ASSERT_TRUE(cm) << "ConfigMap " << config_map;
  auto parsed =
      config::parse_config(cm["data"]["beamlink.toml"].as<std::string>(), "beamlink.toml");
  ASSERT_TRUE(parsed) << parsed.error().message;
  auto valid = Cluster::validate(parsed->topologies);
  EXPECT_TRUE(valid) << valid.error().message;
  std::string args;
  for (const auto& a : container["args"]) args += a.as<std::string>() + " ";
  bool mounted = false;
  for (const auto& m : container["volumeMounts"]) {
    if (args.find(m["mountPath"].as<std::string>() + "/beamlink.toml") != std::string::npos) {
      mounted = true;
    }
  }
  EXPECT_TRUE(mounted) << "--config points into the mounted ConfigMap: " << args;

  // Ports: named container ports match the config.
  std::map<std::string, int> ports;
  for (const auto& p : container["ports"]) {
    ports[p["name"].as<std::string>()] = p["containerPort"].as<int>();
  }
  EXPECT_EQ(ports["epmd"], 4369);
  EXPECT_TRUE(parsed->node.epmd_daemon.value_or(false)) << "the pod runs its own EPMD";
  ASSERT_TRUE(parsed->node.port_min && parsed->node.port_max);
  EXPECT_EQ(*parsed->node.port_min, *parsed->node.port_max) << "a fixed distribution port";
  EXPECT_EQ(ports["dist"], *parsed->node.port_min);
  ASSERT_TRUE(parsed->node.health_port);
  EXPECT_EQ(ports["health"], *parsed->node.health_port);
  EXPECT_EQ(parsed->node.health_address.value_or(""), "0.0.0.0") << "the kubelet must reach it";
  EXPECT_EQ(parsed->node.listen_address.value_or(""), "0.0.0.0");

  // Probes on the paths the health endpoint serves (beamlink/health.h).
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"].as<std::string>(), "/readyz");
  EXPECT_EQ(container["livenessProbe"]["httpGet"]["path"].as<std::string>(), "/healthz");
  for (const char* probe : {"readinessProbe", "livenessProbe"}) {
    std::string port = container[probe]["httpGet"]["port"].as<std::string>();
    EXPECT_TRUE(port == "health" || port == std::to_string(*parsed->node.health_port)) << probe;
  }
  // The node names itself from the pod.
  EXPECT_TRUE(parsed->node.name_mode.has_value());
  EXPECT_FALSE(parsed->node.name.has_value());

  // A headless Service selecting these pods, with EPMD and distribution.
  bool headless = false;
  for (const auto& service : r.of_kind("Service")) {
    if (service["spec"]["clusterIP"].as<std::string>("") != "None") continue;
    bool selects = true;
    for (const auto& kv : service["spec"]["selector"]) {
      auto label = workload["spec"]["template"]["metadata"]["labels"][kv.first.as<std::string>()];
      selects = selects && label && label.as<std::string>() == kv.second.as<std::string>();
    }
    if (!selects) continue;
    std::set<int> service_ports;
    for (const auto& p : service["spec"]["ports"]) service_ports.insert(p["port"].as<int>());
    EXPECT_EQ(service_ports, (std::set<int>{4369, *parsed->node.port_min}));
    headless = true;
  }
  EXPECT_TRUE(headless) << "a headless Service (clusterIP: None) selects the pods";
  if (workload["kind"].as<std::string>() == "StatefulSet") {
    auto service = r.named("Service", workload["spec"]["serviceName"].as<std::string>());
    EXPECT_TRUE(service && service["spec"]["clusterIP"].as<std::string>() == "None");
  }

  // RBAC: exactly get/list/watch on what each kubernetes topology reads;
  // nothing at all when no topology reads the API.
  std::string account = pod["serviceAccountName"].as<std::string>();
  std::set<std::pair<std::string, std::string>> needed;
  for (const auto& t : parsed->topologies) {
    if (t.strategy != "kubernetes") continue;
    auto mode = t.options.find("kubernetes_ip_lookup_mode");
    needed.insert(
        resource_for(mode == t.options.end() ? "endpoints" : std::get<std::string>(mode->second)));
  }
  std::set<std::pair<std::string, std::string>> granted;
  for (const auto& binding : r.of_kind("RoleBinding")) {
    bool ours = false;
    for (const auto& s : binding["subjects"]) {
      ours = ours || (s["kind"].as<std::string>() == "ServiceAccount" &&
                      s["name"].as<std::string>() == account);
    }
    if (!ours) continue;
    YAML::Node role = r.named("Role", binding["roleRef"]["name"].as<std::string>());
    EXPECT_TRUE(role) << "RoleBinding refers to a rendered Role";
    for (const auto& rule : role["rules"]) {
      EXPECT_EQ(strings(rule["verbs"]), (std::set<std::string>{"get", "list", "watch"}));
      for (const auto& group : rule["apiGroups"]) {
        for (const auto& resource : rule["resources"]) {
          granted.insert({group.as<std::string>(), resource.as<std::string>()});
        }
      }
    }
  }
  EXPECT_EQ(granted, needed);
  YAML::Node sa = r.named("ServiceAccount", account);
  EXPECT_TRUE(sa) << "ServiceAccount " << account;
  if (needed.empty() && sa) {
    EXPECT_FALSE(sa["automountServiceAccountToken"].as<bool>(true))
        << "no API access: no token mounted";
  }
  out = *parsed;
}

TEST(Manifests, DeploymentWithTheKubernetesApi) {
  auto r = render("deployment-api");
  auto deployments = r.of_kind("Deployment");
  ASSERT_EQ(deployments.size(), 1u);
  config::NodeConfig config;
  check_workload(r, deployments[0], config);
  ASSERT_EQ(config.topologies.size(), 1u);
  EXPECT_EQ(config.topologies[0].strategy, "kubernetes");
  EXPECT_EQ(r.of_kind("Namespace").size(), 1u);
}

TEST(Manifests, DeploymentWithDns) {
  auto r = render("deployment-dns");
  auto deployments = r.of_kind("Deployment");
  ASSERT_EQ(deployments.size(), 1u);
  config::NodeConfig config;
  check_workload(r, deployments[0], config);
  ASSERT_EQ(config.topologies.size(), 1u);
  EXPECT_EQ(config.topologies[0].strategy, "kubernetes_dns");
  EXPECT_TRUE(r.of_kind("Role").empty());
}

TEST(Manifests, StatefulSetWithDnsSrv) {
  auto r = render("statefulset-dnssrv");
  auto sets = r.of_kind("StatefulSet");
  ASSERT_EQ(sets.size(), 1u);
  config::NodeConfig config;
  check_workload(r, sets[0], config);
  ASSERT_EQ(config.topologies.size(), 1u);
  EXPECT_EQ(config.topologies[0].strategy, "kubernetes_dnssrv");
  EXPECT_EQ(config.node.name_mode, "hostname");
  EXPECT_EQ(config.node.service_name, sets[0]["spec"]["serviceName"].as<std::string>());
}

TEST(Manifests, MixedWithElixirPods) {
  auto r = render("mixed-elixir");
  auto worker = r.named("Deployment", "beamlink-worker");
  ASSERT_TRUE(worker);
  config::NodeConfig config;
  check_workload(r, worker, config);
  std::set<std::string> selectors;
  for (const auto& t : config.topologies) {
    selectors.insert(std::get<std::string>(t.options.at("kubernetes_selector")));
  }
  EXPECT_EQ(selectors, (std::set<std::string>{"app=beamlink-worker", "app=shop"}));
  // The Elixir pods name themselves shop@$POD_IP, the name beamlink's
  // `shop` topology builds (basename shop, mode ip).
  auto shop = r.named("Deployment", "shop");
  ASSERT_TRUE(shop);
  std::map<std::string, std::string> env;
  for (const auto& e : shop["spec"]["template"]["spec"]["containers"][0]["env"]) {
    if (e["value"]) env[e["name"].as<std::string>()] = e["value"].as<std::string>();
  }
  EXPECT_EQ(env["RELEASE_NODE"], "shop@$(POD_IP)");
  EXPECT_EQ(env["RELEASE_DISTRIBUTION"], "name");
  // libcluster's Endpoints lookup: the Elixir account may read endpoints.
  auto role = r.named("Role", "shop-discovery");
  ASSERT_TRUE(role);
  EXPECT_EQ(strings(role["rules"][0]["resources"]), std::set<std::string>{"endpoints"});
  EXPECT_EQ(strings(role["rules"][0]["verbs"]), (std::set<std::string>{"get", "list", "watch"}));
}

TEST(Dockerfile, MultiStageBookwormNonRootExecEntrypoint) {
  std::ifstream in(kDeploy + "/Dockerfile");
  ASSERT_TRUE(in) << "deploy/Dockerfile";
  std::vector<std::string> from, user, entrypoint;
  std::map<std::string, std::string> args;  // ARG NAME=default
  std::set<std::string> stages;
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("ARG ")) {
      const auto eq = line.find('=');
      if (eq != std::string::npos) args[line.substr(4, eq - 4)] = line.substr(eq + 1);
    }
    if (line.starts_with("FROM ")) {
      std::istringstream words(line.substr(5));
      std::string image, as, name;
      words >> image >> as >> name;
      // A base given as ${ARG} resolves to the ARG's default.
      if (image.starts_with("${") && image.ends_with("}"))
        image = args[image.substr(2, image.size() - 3)];
      from.push_back(image);
      // Every stage builds on Debian bookworm, directly or through an earlier stage.
      EXPECT_TRUE(image.starts_with("debian:bookworm") || stages.contains(image)) << line;
      if (as == "AS") stages.insert(name);
    }
    if (line.starts_with("USER ")) user.push_back(line.substr(5));
    if (line.starts_with("ENTRYPOINT ")) entrypoint.push_back(line.substr(11));
  }
  ASSERT_GE(from.size(), 2u) << "multi-stage";
  ASSERT_EQ(user.size(), 1u);
  EXPECT_NE(user[0].substr(0, 1), "0");
  EXPECT_EQ(user[0].find("root"), std::string::npos);
  ASSERT_EQ(entrypoint.size(), 1u);
  // Exec form: a JSON array, so the process is PID 1 and gets SIGTERM.
  auto form = YAML::Load(entrypoint[0]);
  ASSERT_TRUE(form.IsSequence()) << entrypoint[0];
  EXPECT_EQ(form[0].as<std::string>(), "/usr/local/bin/beamlink-worker");
}

}  // namespace
}  // namespace beamlink
