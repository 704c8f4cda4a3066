/* libFuzzer entry for `make fuzz FUZZ=NAME`: forwards to that one target.
 * The build defines FUZZ_NAME. */
#include <stddef.h>
#include <stdint.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define ENTRY CAT(fuzz_entry_, FUZZ_NAME)

int ENTRY(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return ENTRY(data, size);
}
