// All simulated devices, plus an index by current IPv4 address for the discovery responder
// (a unicast Probe is answered only by the device whose address it was sent to).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "device.h"

namespace simcam {

class DeviceTable {
  public:
    void add(std::unique_ptr<Device> device) {
        by_address_[device->address().s_addr] = device.get();
        devices_.push_back(std::move(device));
    }
    std::size_t size() const { return devices_.size(); }
    const std::vector<std::unique_ptr<Device>>& all() const { return devices_; }

    // Loop thread only: the index changes when a device moves.
    Device* find(in_addr address) const {
        const auto it = by_address_.find(address.s_addr);
        return it == by_address_.end() ? nullptr : it->second;
    }
    void move(Device& device, in_addr from, in_addr to) {
        const auto it = by_address_.find(from.s_addr);
        if (it != by_address_.end() && it->second == &device) by_address_.erase(it);
        by_address_[to.s_addr] = &device;
    }

  private:
    std::vector<std::unique_ptr<Device>> devices_;
    std::unordered_map<std::uint32_t, Device*> by_address_;
};

}  // namespace simcam
