#include <isa-l/igzip_lib.h>
/* Level-2 work buffer size (a macro chain Swift cannot import). */
static inline unsigned int cisal_level2_buffer_size(void) { return ISAL_DEF_LVL2_DEFAULT; }
