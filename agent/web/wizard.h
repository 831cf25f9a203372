// What the wizard's API does, without HTTP: each method drives one stage through its library
// entry point, exactly as the CLI command of the same name does, and returns what the browser is
// sent. Long actions start a Job. Kept apart from the HTTP server so it is tested on its own.
#pragma once
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "address/address.h"
#include "core/profiles.h"
#include "onvif_client/session.h"
#include "router/router.h"
#include "site/site_db.h"
#include "web/jobs.h"
#include "web/requests.h"
#include "web/web.h"

namespace sitelink::web {

class Wizard : public std::enable_shared_from_this<Wizard> {
public:
    Wizard(ServeOptions options, Profiles profiles) : options_(std::move(options)), profiles_(std::move(profiles)) {}

    nlohmann::json info() const;
    nlohmann::json providers() const;
    Result<nlohmann::json> open_site(const OpenSite& request);
    Result<nlohmann::json> site_state(const std::string& site);
    Result<Done> set_step(const std::string& site, const std::string& step);
    // Tries the credentials on each device now; keeps them (sealed) where they work.
    Result<nlohmann::json> try_credentials(const std::string& site, const CredentialsTry& request);
    Result<nlohmann::json> configure_ddns(const std::string& site, const ddns::DdnsSetRequest& request);

    struct Image {
        std::string content_type;
        std::string bytes;
    };
    Result<Image> snapshot(const std::string& site, const std::string& device_key);
    // "bundle.zip" or "sheet": a file of the last hand-off.
    Result<std::filesystem::path> handoff_file(const std::string& site, const std::string& which);

    Result<std::shared_ptr<Job>> discover(const std::string& site, const DiscoverChoices& choices);
    Result<std::shared_ptr<Job>> plan_addresses(const std::string& site, const AddressChoices& choices);
    Result<std::shared_ptr<Job>> apply_addresses(const std::string& site);
    Result<std::shared_ptr<Job>> undo_addresses(const std::string& site);
    Result<std::shared_ptr<Job>> router_status(const std::string& site);
    Result<std::shared_ptr<Job>> plan_forwarding(const std::string& site, const router::ForwardChoices& choices);
    Result<std::shared_ptr<Job>> apply_forwarding(const std::string& site);
    Result<std::shared_ptr<Job>> undo_forwarding(const std::string& site);
    Result<std::shared_ptr<Job>> update_ddns(const std::string& site);
    Result<std::shared_ptr<Job>> verify(const std::string& site);
    Result<std::shared_ptr<Job>> handoff(const std::string& site, const HandoffChoices& choices);

    Jobs& jobs() { return jobs_; }

private:
    // An existing site, or NotFound.
    Result<std::unique_ptr<site::SiteDb>> open_existing(const std::string& site) const;
    Result<std::shared_ptr<Job>> start(const std::string& site, const std::string& kind,
                                       std::function<Result<nlohmann::json>(site::SiteDb&, Job&)> body, bool changes_devices);
    using AddressBatch = std::function<Result<address::BatchOutcome>(site::SiteDb&, const address::ApplyRequest&, const address::EventSink&)>;
    Result<std::shared_ptr<Job>> address_batch(const std::string& site, const std::string& kind, AddressBatch action);
    using ForwardBatch = Result<router::ForwardOutcome> (*)(site::SiteDb&, const router::ForwardRequest&, const router::RuleSink&);
    Result<std::shared_ptr<Job>> forward_batch(const std::string& site, const std::string& kind, ForwardBatch action, bool undo);
    router::StatusRequest status_request(const std::string& interface) const;
    Result<std::string> interface_of(site::SiteDb& db) const;
    Result<onvif_client::CredentialBook> credential_book(site::SiteDb& db) const;
    Result<nlohmann::json> devices_fact(site::SiteDb& db) const;
    Result<nlohmann::json> device_summaries(site::SiteDb& db) const;
    // The plan as the browser sees it, with the discovered devices it leaves out and why.
    nlohmann::json plan_json(site::SiteDb& db, const address::AddressPlan& plan) const;
    // The outcome for the browser, with the steps for whatever must be done by hand.
    nlohmann::json forward_result(const router::ForwardOutcome& outcome, bool undo, const std::string& interface) const;

    ServeOptions options_;
    Profiles profiles_;
    Jobs jobs_;
    mutable std::mutex devices_mutex_;  // read-modify-write of the "wizard_devices" fact
};

}  // namespace sitelink::web
